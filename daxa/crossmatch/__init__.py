"""Bulk, survey-scale cross-matching: positions × observations, catalogue × catalogue.

- :func:`match_observations` — every catalogue row against the observation tables of any set
  of missions (per-row FoV radii, optional time windows), as a tidy association table.
- :func:`match_catalogues` — catalogue against catalogue: all pairs within a radius, nearest,
  or symmetric best; inner or left join; per-row radii.
- :func:`coverage_summary` — per row and mission: how many observations cover it, their total
  exposure, first and last dates, without materialising every pair.
- :func:`write_hats` / :func:`read_hats` — HATS-partitioned Parquet that LSDB opens.

All of them read paths (Parquet, CSV, FITS, HATS) or frames (polars, pandas, Arrow, astropy),
work through inputs larger than memory in HEALPix-ordered chunks within ``memory_budget``, and
run one task per chunk on a Dask cluster when given ``client=`` (Dask is optional).
"""

from daxa.crossmatch.catalogues import match_catalogues
from daxa.crossmatch.coverage_summary import coverage_summary
from daxa.crossmatch.hats import read_hats, write_hats
from daxa.crossmatch.inputs import CrossmatchWarning
from daxa.crossmatch.observations import match_observations

__all__ = [
    "CrossmatchWarning",
    "coverage_summary",
    "match_catalogues",
    "match_observations",
    "read_hats",
    "write_hats",
]
