"""Footprints, not circles: the instruments' real fields of view, placed on the sky.

``shapes`` holds the detector layouts as cited data; ``polygons`` places them at a pointing
turned by the roll angle (gnomonic deprojection); ``contain`` decides yes / maybe / no for
(position, observation) pairs; ``assess`` runs that on a circle search's pairs and finds
eRASS1's owner tiles; ``stcs`` writes the outlines as ObsCore ``s_region`` strings;
``outlines`` gives each observation's placed footprints as numbers (for footprint MOCs).
"""

from daxa.footprints.assess import COVERAGE_RULES, assess_pairs, owner_tiles
from daxa.footprints.contain import LABELS, MAYBE, NO, YES, classify, in_box
from daxa.footprints.shapes import SHAPES, Shape, footprint

__all__ = [
    "COVERAGE_RULES",
    "LABELS",
    "MAYBE",
    "NO",
    "SHAPES",
    "YES",
    "Shape",
    "assess_pairs",
    "classify",
    "footprint",
    "in_box",
    "owner_tiles",
]
