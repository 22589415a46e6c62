"""One input layer: every table, position list, angle and time a user can hand daxa.

Every entry point (the filters of a ``Selection``, ``daxa.search``, ``match_observations``,
``match_catalogues``, ``coverage_summary``, ``daxa.sql.connect().match_positions`` and every
CLI command) reads its inputs here, so each accepts the same forms:

- tables (:mod:`~daxa.inputs.load`, :mod:`~daxa.inputs.tables`, :mod:`~daxa.inputs.readers`):
  paths (CSV/TSV, FITS, Parquet, VOTable, JSON, HATS), ``SkyCoord`` in any frame, astropy ``Table``/``QTable``,
  pandas, polars, Arrow, pyvo results (anything with ``.to_table()``), ``[ra, dec]`` or a list
  of pairs; ``nan``/``NaN``/empty text are missing values;
- columns (:mod:`~daxa.inputs.columns`): RA, Dec, id, time and radius found by name, UCD or
  unit, case-insensitively, or named by the user;
- angles (:mod:`~daxa.inputs.angles`): degrees, ``Quantity``/``Angle``, ``"10arcmin"``;
- times (:mod:`~daxa.inputs.times`): anything astropy ``Time`` reads, ``pd.Timestamp``,
  ``np.datetime64``, ``datetime``; numbers with ``time_format="mjd"``.

Bad input is an :class:`~daxa.errors.InputError` naming the value (briefly) and the forms
accepted. This package sits below the filters: it imports nothing above ``daxa.sky``.
"""

from daxa.inputs.angles import angle_deg, angles_deg
from daxa.inputs.columns import find_column
from daxa.inputs.load import read_table, to_table
from daxa.inputs.positions import PositionTable, read_positions
from daxa.inputs.sources import Source, open_source
from daxa.inputs.tables import Table
from daxa.inputs.times import to_us, to_us_array, utc_series

__all__ = [
    "PositionTable",
    "Source",
    "Table",
    "angle_deg",
    "angles_deg",
    "find_column",
    "open_source",
    "read_positions",
    "read_table",
    "to_table",
    "to_us",
    "to_us_array",
    "utc_series",
]
