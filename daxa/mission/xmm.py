"""XMM-Newton pointed observations (DAXA's ``XMMPointed``)."""

from __future__ import annotations

import os
from typing import Any

from daxa.mission.base import BaseMission


class XMMPointed(BaseMission):
    """Pointed XMM-Newton observations (slews excluded), from daxa's ``xmm_pointed`` table.

    Instruments: M1, M2, PN by default; OM, R1, R2 on request (MOS1/MOS2/RGS1/RGS2 accepted).
    ``use_heasarc`` downloads from HEASARC instead of the XSA; the table itself comes from the
    cache, which the fetch step fills from the XSA with HEASARC as fallback (DAXA's flag also
    picked the table's source). Downloads are raw (ODF) unless ``download_products=True``,
    which adds the pipeline products (DAXA's flag did nothing for XMM).
    """

    _mission = "xmm_pointed"
    _download_products = False

    def __init__(
        self,
        insts: list[str] | str | None = None,
        save_file_path: str | os.PathLike[str] | None = None,
        use_heasarc: bool = False,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        table: Any = None,
    ) -> None:
        super().__init__(insts, save_file_path, cache_dir=cache_dir, table=table)
        if use_heasarc:
            self._download_options["source"] = "heasarc"
