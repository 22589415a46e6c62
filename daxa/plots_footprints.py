"""Footprint and sky-density maps, now :mod:`daxa.plots.footprints`; kept importable here."""

from daxa.plots.footprints import CIRCLE_POINTS, footprint_map, outlines, sky_density

__all__ = ["CIRCLE_POINTS", "footprint_map", "outlines", "sky_density"]
