"""How many (position, observation) matches the footprint rule removes, per mission.

Run: ``python benchmarks/footprint_removals.py`` (not a timing: a count). The positions are
real: the 542 eFEDS cluster candidates and the 1,000 Type Ia supernovae of the shared data
folder. The eROSITA tables are real (the CalPV list and the eRASS1 DE tile list); every other
mission's table comes from the archive emulator's generator at the real archive's size, so
those counts describe daxa's rules on realistic synthetic tables, not the real archives.
Swift is matched with XRT only (BAT's 60° circle would pair every position with a quarter of
the sky); other missions use their default instruments.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def tables() -> dict[str, pl.DataFrame]:
    from daxa.missions import get_mission
    from daxa.testing import shared_data_dir
    from daxa.testing.tables import TABLES, generate_table

    folder = shared_data_dir()
    out = {}
    raw = {
        "xmm_pointed": "v_all_observations", "chandra": "chanmaster",
        "nustar_pointed": "numaster", "rosat_pointed": "rosmaster",
        "rosat_all_sky": "rassmaster", "swift": "swiftmastr", "suzaku": "suzamaster",
        "asca": "ascamaster", "integral_pointed": "intscwpub", "xrism_pointed": "xrismmastr",
    }  # fmt: skip
    for mission, name in raw.items():
        out[mission] = get_mission(mission).normalise(generate_table(name, TABLES[name]))
    for mission, name in (
        ("erosita_calpv", "erosita_calpv_info.csv"),
        ("erosita_all_sky_de_dr1", "erass_de_dr1_info.csv"),
    ):
        path = folder / "erosita" / name
        out[mission] = get_mission(mission).normalise(pl.read_csv(path, infer_schema=False))
    return out


def counts(
    sample: pl.DataFrame, ra: str, dec: str, all_tables: dict[str, pl.DataFrame]
) -> pl.DataFrame:
    from daxa.crossmatch import match_observations

    rows = []
    for mission, table in all_tables.items():
        inst = {"swift": ["XRT"]} if mission == "swift" else None
        kw = dict(tables={mission: table}, ra=ra, dec=dec, instruments=inst, progress=False)
        circle = match_observations(sample, **kw)
        foot = match_observations(sample, coverage="footprint", **kw)
        c_pairs = set(zip(circle["pos_index"], circle["obs_id"], strict=True))
        f_pairs = set(zip(foot["pos_index"], foot["obs_id"], strict=True))
        rows.append(
            {
                "mission": mission,
                "circle": len(c_pairs),
                "footprint": len(f_pairs),
                "removed": len(c_pairs - f_pairs),
                "added": len(f_pairs - c_pairs),
                "maybe": int((foot["covered"] == "maybe").sum()) if foot.height else 0,
                "positions_circle": circle["pos_index"].n_unique(),
                "positions_footprint": foot["pos_index"].n_unique(),
            }
        )
    return pl.DataFrame(rows)


def main() -> None:
    from daxa.testing import shared_data_dir

    folder = shared_data_dir()
    if folder is None:
        raise SystemExit("the shared data folder is needed (set DAXA_SHARED_DATA)")
    all_tables = tables()
    pl.Config.set_tbl_rows(20)
    efeds = pl.read_csv(folder / "samples" / "efeds_xray_cluster_candidates.csv")
    print("eFEDS clusters (542):")
    print(counts(efeds, "RA", "DEC", all_tables))
    sn = pl.read_csv(folder / "samples" / "sn1a_samp.csv")
    print("SNe Ia (1,000):")
    print(counts(sn, "ra", "declination", all_tables))


if __name__ == "__main__":
    main()
