"""Downloads and product paths of the mission classes, translated to :mod:`daxa.download`.

"Downloaded" means every selected ObsID has a complete manifest whose files are intact (DAXA:
the ObsID's folder exists). Data go to ``<top_level_path>/<mission>/<ObsID>/`` (DAXA:
``<mission>_raw/``); each observation fetches only the chosen instruments that cover a searched
position; transfers retry, resume and verify sizes (see :func:`daxa.download.download`).
"""

from __future__ import annotations

import os
import warnings
from typing import Any, ClassVar

import numpy as np

from daxa.download import Manifest, bands, download_selection, product_path
from daxa.download.layout import manifest_path, mission_dir
from daxa.download.products import Product
from daxa.errors import DownloadError, InputError, ProductNotFoundError
from daxa.filters import Public
from daxa.selection import Selection

#: DAXA's names for what was downloaded, by daxa's download kind.
DOWNLOADED_TYPES = {"raw": "raw", "products": "raw+preprocessed"}


class DownloadsMixin:
    """``download``, ``get_*_path``, ``delete_raw_data`` and the download state of a mission
    class (mixed into :class:`daxa.mission.base.BaseMission`)."""

    _sel: Selection
    _top: str
    _download_options: dict[str, Any]
    #: DAXA's default for ``download(download_products=...)``.
    _download_products: ClassVar[bool] = True

    @property
    def preprocessed_energy_bands(self) -> dict[str, Any]:
        """Energy bands (keV, an (n, 2) Quantity) of the archive's products, per chosen
        instrument that has any."""
        from astropy.units import Quantity

        out = {
            inst: Quantity(sorted(found), "keV")
            for inst in self._sel.instruments
            if (found := bands(self._sel.mission, inst))
        }
        if not out:
            raise ProductNotFoundError(
                f"{self._sel.spec.pretty_name}'s archive gives no pre-processed products in "
                f"energy bands for {', '.join(self._sel.instruments)}"
            )
        return out

    @property
    def top_level_path(self) -> str:
        """The download root (absolute, ending in a separator); must exist to be set."""
        return self._top

    @top_level_path.setter
    def top_level_path(self, new_path: str | os.PathLike[str] | None) -> None:
        if new_path is None:
            return
        if not os.path.isdir(new_path):
            raise InputError(f"the top-level path {new_path} does not exist; create it first")
        self._top = os.path.abspath(new_path) + os.sep

    @property
    def raw_data_path(self) -> str:
        """Where this mission's ObsID folders are downloaded (ends in a separator)."""
        return str(mission_dir(self._top, self._sel.mission)) + os.sep

    def _manifests(self) -> list[Manifest | None]:
        return [
            Manifest.load(manifest_path(self._top, self._sel.mission, o)) for o in self._sel.obs_ids
        ]

    @property
    def download_completed(self) -> bool:
        """True when every selected ObsID is completely downloaded (manifest complete and every
        file intact)."""
        from daxa.download import downloaded

        ids = self._sel.obs_ids
        return len(ids) > 0 and all(downloaded(self._sel.mission, o, self._top) for o in ids)

    @property
    def downloaded_type(self) -> str:
        """``'raw'`` or ``'raw+preprocessed'``: what the selected ObsIDs were downloaded with."""
        if not self.download_completed:
            raise DownloadError(
                f"the selected {self._sel.spec.pretty_name} observations are not all "
                f"downloaded under {self.raw_data_path}; call download() first"
            )
        kinds = {m.request.get("kind") for m in self._manifests() if m is not None}
        return DOWNLOADED_TYPES["raw" if "raw" in kinds else "products"]

    def download(
        self,
        num_cores: int | None = None,
        credentials: Any = None,
        download_products: bool | None = None,
        pipeline_version: int | None = None,
    ) -> Any:
        """Download the selected observations (the chosen instruments, only those covering a
        searched position) to :attr:`raw_data_path`; returns the
        :class:`~daxa.download.DownloadReport` and raises :class:`~daxa.errors.DownloadError`
        naming every ObsID that failed.

        ``download_products`` adds the archive's pre-processed products (default: DAXA's, per
        mission); ``num_cores`` is the number of parallel transfers; ``credentials`` — a
        ``(user, password)`` pair, a mapping, an ini file — opens proprietary data: without
        them, proprietary observations are first filtered out with a warning (as DAXA does);
        DAXA's per-ObsID credentials dictionary is not supported (one set per archive host).
        ``pipeline_version`` picks the eRASS1 pipeline version (default: the highest). Pass
        ``download_products`` by keyword: DAXA's positional order differs between missions.
        """
        products = self._download_products if download_products is None else download_products
        if not isinstance(products, (bool, np.bool_)):
            raise InputError(f"download_products must be True or False, got {products!r}")
        if credentials is None and not self._sel.table["public"].all():
            warnings.warn(
                f"proprietary {self._sel.spec.pretty_name} data were selected but no "
                "credentials given; they are excluded from the download and further processing",
                stacklevel=2,
            )
            self._sel = self._sel.where(Public())
        options: dict[str, Any] = dict(self._download_options)
        if num_cores is not None:
            options["max_workers"] = int(num_cores)
        if pipeline_version is not None:
            options["version"] = pipeline_version
        report = download_selection(
            self._sel,
            dest=self._top,
            kind="products" if products else "raw",
            credentials=credentials,
            **options,
        )
        return report.raise_for_failures()

    def _product(self, product: Product, obs_id: str, inst: str | None, band: Any = None) -> str:
        """The product's path; as in DAXA, the instrument defaults to the only chosen one."""
        if inst is None and len(self._sel.instruments) == 1:
            inst = self._sel.instruments[0]
        path = product_path(
            self._sel.mission, obs_id, product, instrument=inst, band=band, dest=self._top
        )
        return str(path)

    def get_evt_list_path(self, obs_id: str, inst: str | None = None) -> str:
        """Path of the archive's event list of a downloaded ObsID (and instrument)."""
        return self._product("events", obs_id, inst)

    def get_image_path(
        self, obs_id: str, lo_en: Any = None, hi_en: Any = None, inst: str | None = None
    ) -> str:
        """Path of the archive's image in the band [lo_en, hi_en] (keV Quantities; may be
        left out when the instrument has one band)."""
        return self._product("image", obs_id, inst, None if lo_en is None else (lo_en, hi_en))

    def get_expmap_path(
        self, obs_id: str, lo_en: Any = None, hi_en: Any = None, inst: str | None = None
    ) -> str:
        """Path of the archive's exposure map (arguments as :meth:`get_image_path`)."""
        return self._product("expmap", obs_id, inst, None if lo_en is None else (lo_en, hi_en))

    def get_background_path(
        self, obs_id: str, lo_en: Any = None, hi_en: Any = None, inst: str | None = None
    ) -> str:
        """Path of the archive's background map (arguments as :meth:`get_image_path`)."""
        return self._product("background", obs_id, inst, None if lo_en is None else (lo_en, hi_en))

    def delete_raw_data(self, force_del: bool = False, all_raw_data: bool = False) -> list[str]:
        """Delete the downloaded data of the selected ObsIDs (``all_raw_data``: of every ObsID
        of the mission), asking first unless ``force_del``. Returns the ObsIDs deleted."""
        from daxa.download import delete_downloads

        ids = None if all_raw_data else self._sel.obs_ids
        return delete_downloads(self._sel.mission, ids, dest=self._top, confirm=not force_del)
