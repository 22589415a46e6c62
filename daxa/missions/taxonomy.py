"""The target-type taxonomy (DESIGN §6) shared by every mission."""

from __future__ import annotations

#: Code → description. Mission normalisers map their archive's own categories onto these.
TARGET_TYPES: dict[str, str] = {
    "AGN": "Active galaxies and quasars",
    "BLZ": "Blazars",
    "CV": "Cataclysmic variables",
    "CAL": "Calibration observations",
    "EGS": "Extragalactic surveys",
    "GCL": "Galaxy clusters",
    "GS": "Galactic survey",
    "ASK": "All-sky survey",
    "MAG": "Magnetars and rotation-powered pulsars",
    "NGS": "Normal and starburst galaxies",
    "NS": "Neutron stars and black holes",
    "STR": "Non-degenerate and white dwarf stars",
    "OAGN": "Obscured AGN",
    "SNE": "Non-ToO supernovae",
    "SNR": "Supernova remnants and galactic diffuse",
    "SOL": "Solar system",
    "ULX": "Ultra-luminous X-ray sources",
    "XRB": "X-ray binaries",
    "TOO": "Targets of opportunity",
    "EGE": "Extended galactic or extragalactic",
    "MISC": "Other",
}
