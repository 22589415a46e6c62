"""Results that astropy, TOPCAT, Aladin and LSDB read without help.

- :func:`to_astropy` — a result as an astropy ``QTable`` (``Time``, ``SkyCoord``, ``Quantity``);
- :func:`write_table` — FITS, VOTable, Parquet, CSV or JSON by the file's suffix, with units,
  UCDs and ``RADESYS``/``TIMESYS``; every file written atomically;
- :func:`send_samp` — send a result to TOPCAT or Aladin over SAMP.

The units rule is in :mod:`daxa.outputs.units`.
"""

from daxa.outputs.astropy_table import to_astropy
from daxa.outputs.units import ColumnInfo, column_info
from daxa.outputs.writers import FORMATS, format_of, text_frame, write_table

__all__ = [
    "FORMATS",
    "ColumnInfo",
    "column_info",
    "format_of",
    "send_samp",
    "text_frame",
    "to_astropy",
    "write_table",
]


def __getattr__(name: str) -> object:
    if name == "send_samp":
        from daxa.outputs.samp import send_samp

        return send_samp
    raise AttributeError(f"module 'daxa.outputs' has no attribute {name!r}")
