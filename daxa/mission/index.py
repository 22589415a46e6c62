"""DAXA's ``MISS_INDEX``: mission name → wrapper class, in a module of its own.

:mod:`daxa.mission.tools` looks missions up here; keeping the index out of the package's
``__init__`` lets it do so without importing the package that imports it.
"""

from daxa.mission.asca import ASCA
from daxa.mission.base import BaseMission
from daxa.mission.chandra import Chandra
from daxa.mission.erosita import eRASS1DE, eROSITACalPV
from daxa.mission.integral import INTEGRALPointed
from daxa.mission.nustar import NuSTARPointed
from daxa.mission.rosat import ROSATAllSky, ROSATPointed
from daxa.mission.suzaku import Suzaku
from daxa.mission.swift import Swift
from daxa.mission.xmm import XMMPointed
from daxa.mission.xrism import XRISMPointed

#: Mission name → class (DAXA's ``MISS_INDEX``).
MISS_INDEX: dict[str, type[BaseMission]] = {
    "xmm_pointed": XMMPointed,
    "nustar_pointed": NuSTARPointed,
    "erosita_calpv": eROSITACalPV,
    "erosita_all_sky_de_dr1": eRASS1DE,
    "chandra": Chandra,
    "rosat_all_sky": ROSATAllSky,
    "rosat_pointed": ROSATPointed,
    "swift": Swift,
    "suzaku": Suzaku,
    "asca": ASCA,
    "integral_pointed": INTEGRALPointed,
    "xrism_pointed": XRISMPointed,
}
