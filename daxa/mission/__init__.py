"""DAXA's mission API, a facade on top of daxa's core: it imports the core, never the reverse.

Not to be confused with :mod:`daxa.missions` (the core's mission specs and normalisers, which
this facade builds on). Swap ``from daxa.mission import ...`` in for DAXA's. Each class is a
thin wrapper over a :class:`daxa.selection.Selection` of one mission's cached table (see
:mod:`daxa.mission.base` for where daxa's behaviour differs from DAXA's, and why).

>>> from daxa.mission import MISS_INDEX
>>> MISS_INDEX["swift"].__name__
'Swift'
"""

from daxa.errors import NoObsAfterFilterError
from daxa.mission.asca import ASCA
from daxa.mission.base import BaseMission
from daxa.mission.chandra import Chandra
from daxa.mission.erosita import eRASS1DE, eROSITACalPV
from daxa.mission.index import MISS_INDEX
from daxa.mission.integral import INTEGRALPointed
from daxa.mission.nustar import NuSTARPointed
from daxa.mission.rosat import ROSATAllSky, ROSATPointed
from daxa.mission.suzaku import Suzaku
from daxa.mission.swift import Swift
from daxa.mission.tools import multi_mission_filter_on_positions
from daxa.mission.xmm import XMMPointed
from daxa.mission.xrism import XRISMPointed

__all__ = [
    "ASCA",
    "MISS_INDEX",
    "BaseMission",
    "Chandra",
    "INTEGRALPointed",
    "NoObsAfterFilterError",
    "NuSTARPointed",
    "ROSATAllSky",
    "ROSATPointed",
    "Suzaku",
    "Swift",
    "XMMPointed",
    "XRISMPointed",
    "eRASS1DE",
    "eROSITACalPV",
    "multi_mission_filter_on_positions",
]
