"""Positional filters: daxa against astropy ``search_around_sky`` and against DAXA 0.3.7.

Run: ``python benchmarks/bench_filters.py`` (``--quick`` for a tenth of the sizes).

The same tables and positions go to every method, with the same radius, and every method's
selected ObsIDs are checked against ours:

- A: eRASS1 DE (2,447 sky tiles), 1e5 random positions, scalar radius 2.16° (1.2 × 1.8°),
  mask only;  B: the same with the association table;
- C: eRASS1 DE, 1e4 positions with their own radii (0.5°–3°);
- D: eRASS1 DE, the 1,000 real SNe Ia, each with its own window (discovery ± 1 year);
- E: a Swift-size table (373,182 rows from the emulator's generator, XRT chosen), 1e5
  positions with the default radius.

DAXA is a peer, not a dependency, and needs Python 3.12 (it fails on 3.11), so it runs in its
own virtual environment ``benchmarks/.venv-daxa`` (git-ignored): ``--setup-daxa`` creates it
with ``$DAXA_PEER_PYTHON`` (default ``/root/.pyenv/versions/3.12.1/bin/python``) and
``pip install daxa==0.3.7``. Its package is also called ``daxa``, so it cannot share our
process: this script hands it the same inputs through a temporary folder and re-runs itself in
that environment (``--daxa-worker``), where DAXA's eROSITA class works offline and its Swift
class is handed our table. Without the environment DAXA is skipped with a note, and the ratios
use DAXA's own figures on this machine (median of 3) from the issue.

Times are medians of ``--repeat`` runs (default 3) for every method, each method (ours and
astropy) in its own fresh process with its own peak memory (``_common.run_isolated``). Ours
include building the filter from plain arrays; astropy's are the search only, on SkyCoords
built beforehand in the same process (favourable to astropy; ``setup_s`` shows their cost).
DAXA runs every workload in one process of its own venv, the same number of times (median).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import Timing, median_runs, run_isolated, save_inputs, scratch  # noqa: E402
from _report import TIMING_COLUMNS, goal, load_average, print_goals  # noqa: E402
from _report import table as table_  # noqa: E402

VENV = HERE / ".venv-daxa"
PEER_PYTHON = os.environ.get("DAXA_PEER_PYTHON", "/root/.pyenv/versions/3.12.1/bin/python")
PEER_VERSION = "0.3.7"

#: DAXA's own figures from the issue (eRASS1 DE, median of 3), in seconds.
DAXA_REPORTED = {"A": 0.11, "B": 8.6, "C": 17.8, "D": 0.31}
#: Goals: minimum speed-up against DAXA (A–D) or a time limit in seconds (E).
GOALS = {"A": 5.0, "B": 50.0, "C": 500.0, "D": 50.0}
SWIFT_LIMIT_S = 0.3
ERASS1_RADIUS = 1.2 * 1.8


def sky_positions(n: int, seed: int) -> np.ndarray:
    """``n`` positions uniform on the sphere, (n, 2) degrees."""
    rng = np.random.default_rng(seed)
    ra = rng.uniform(0.0, 360.0, n)
    dec = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    return np.column_stack([ra, dec])


# ---------------------------------------------------------------------------------------------
# the DAXA side (runs inside benchmarks/.venv-daxa; imports DAXA's `daxa`, never ours)


def daxa_worker(folder: Path, repeat: int) -> None:
    import warnings

    import astropy.units as u
    import pandas as pd
    from astropy.coordinates import FK5, SkyCoord

    warnings.simplefilter("ignore")
    from daxa.exceptions import NoObsAfterFilterError  # DAXA's, in its own environment
    from daxa.mission import Swift, eRASS1DE

    inputs = np.load(folder / "inputs.npz", allow_pickle=False)
    out: dict[str, Any] = {"version": __import__("daxa").__version__}

    def selected(mission: Any) -> list[str]:
        return sorted(mission.filtered_obs_info["ObsID"].astype(str).tolist())

    def run(mission: Any, call: Callable[[], Any]) -> tuple[float, list[str], float]:
        def once() -> Any:
            mission.reset_filter()
            try:
                call()
            except NoObsAfterFilterError:
                return []
            return selected(mission)

        warm = os.environ.get("BENCH_WARMUP", "1") != "0"  # as ours get in run_isolated
        t = median_runs("DAXA", once, repeat, warmup=warm)  # the same harness, DAXA's process
        return t.median, t.result, t.cpu

    erass = eRASS1DE()
    pos = inputs["pos_a"]
    sky = SkyCoord(pos[:, 0], pos[:, 1], unit="deg", frame=FK5())
    out["A"] = run(erass, lambda: erass.filter_on_positions(sky, ERASS1_RADIUS * u.deg))
    out["B"] = run(
        erass,
        lambda: erass.filter_on_positions(sky, ERASS1_RADIUS * u.deg, return_pos_obs_info=True),
    )
    pos_c = inputs["pos_c"]
    sky_c = SkyCoord(pos_c[:, 0], pos_c[:, 1], unit="deg", frame=FK5())
    out["C"] = run(erass, lambda: erass.filter_on_positions(sky_c, inputs["radii_c"] * u.deg))
    sky_d = SkyCoord(inputs["sn_ra"], inputs["sn_dec"], unit="deg", frame=FK5())
    starts = inputs["sn_start"].astype("datetime64[us]").astype(object)
    ends = inputs["sn_end"].astype("datetime64[us]").astype(object)
    out["D"] = run(erass, lambda: erass.filter_on_positions_at_time(sky_d, starts, ends))

    swift_cols = {k[len("swift_") :]: inputs[k] for k in inputs.files if k.startswith("swift_")}
    frame = pd.DataFrame(
        {
            "ra": swift_cols["ra"],
            "dec": swift_cols["dec"],
            "ObsID": swift_cols["obs_id"].astype(str),
            "science_usable": swift_cols["usable"],
            "start": pd.to_datetime(swift_cols["start"]),
            "end": pd.to_datetime(swift_cols["end"]),
            "duration": pd.to_datetime(swift_cols["end"]) - pd.to_datetime(swift_cols["start"]),
            "target_category": "MISC",
            "xrt_exposure": swift_cols["xrt"],
            "bat_exposure": swift_cols["bat"],
            "uvot_exposure": swift_cols["uvot"],
        }
    )

    class HandedSwift(Swift):  # DAXA's Swift, handed our table instead of asking HEASARC
        def _fetch_obs_info(self) -> None:
            self.all_obs_info = frame

    swift = HandedSwift(insts=["XRT"])
    pos_e = inputs["pos_e"]
    sky_e = SkyCoord(pos_e[:, 0], pos_e[:, 1], unit="deg", frame=FK5())
    out["E"] = run(swift, lambda: swift.filter_on_positions(sky_e))
    (folder / "daxa.json").write_text(json.dumps(out))


# ---------------------------------------------------------------------------------------------
# our side and astropy's


def setup_daxa() -> None:
    """Create benchmarks/.venv-daxa with DAXA 0.3.7 (the peer stays out of our dependencies)."""
    if not Path(PEER_PYTHON).exists():
        sys.exit(f"no Python 3.12 at {PEER_PYTHON}; set DAXA_PEER_PYTHON to one")
    if not (VENV / "bin" / "python").exists():
        subprocess.run([PEER_PYTHON, "-m", "venv", str(VENV)], check=True)
    subprocess.run(
        [str(VENV / "bin" / "pip"), "install", "-q", f"daxa=={PEER_VERSION}"], check=True
    )
    print(f"DAXA {PEER_VERSION} installed in {VENV}")


def run_daxa(inputs: dict[str, np.ndarray], repeat: int) -> dict[str, Any] | None:
    python = VENV / "bin" / "python"
    if not python.exists():
        print(
            f"note: DAXA peer not set up ({VENV} missing); run with --setup-daxa to compare "
            "against DAXA itself. Ratios below use DAXA's figures from the issue."
        )
        return None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        np.savez(folder / "inputs.npz", **inputs)
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
        started = time.perf_counter()
        done = subprocess.run(
            [
                str(python),
                str(Path(__file__).resolve()),
                "--daxa-worker",
                tmp,
                "--repeat",
                str(repeat),
            ],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            print(f"note: the DAXA peer failed, skipped:\n{done.stderr[-2000:]}")
            return None
        print(f"(DAXA worker took {time.perf_counter() - started:.0f} s in total)")
        return json.loads((folder / "daxa.json").read_text())  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes")
    parser.add_argument("--repeat", type=int, default=3, help="runs per method (median)")
    parser.add_argument("--setup-daxa", action="store_true", help="create the DAXA venv first")
    parser.add_argument("--no-daxa", action="store_true", help="skip the DAXA peer")
    parser.add_argument("--daxa-worker", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.daxa_worker:
        daxa_worker(Path(args.daxa_worker), args.repeat)
        return
    if args.setup_daxa:
        setup_daxa()
    ours_and_peers(args)


def f_filter(x: dict[str, Any], case: str, who: str, assoc: bool = False) -> Callable[[], Any]:
    """One method of one workload, prepared in its own process (see ``_common``). Ours include
    building the filter from plain arrays; astropy's SkyCoords are built here, untimed."""
    import astropy.units as u
    import polars as pl
    from astropy.coordinates import FK5, SkyCoord

    from daxa.filters import Positions, PositionsAtTime

    mission = "erosita_all_sky_de_dr1"
    erass, swift = x["erass"], x["swift"]
    obs_ids = erass["obs_id"].to_numpy()
    r = ERASS1_RADIUS

    def sky(pos: np.ndarray) -> Any:
        return SkyCoord(pos[:, 0], pos[:, 1], unit="deg", frame=FK5())

    if who == "ours":
        if case in ("A", "B"):
            f = Positions(x["pos_a"], r)
            if case == "B":
                return lambda: f.associate(erass, mission=mission)
            return lambda: f.mask(erass, mission=mission)
        if case == "C":
            call = "associate" if assoc else "mask"
            return lambda: getattr(Positions(x["pos_c"], x["radii_c"]), call)(
                erass, mission=mission
            )
        if case == "D":
            sn_pos = np.column_stack([x["sn_ra"], x["sn_dec"]])
            return lambda: PositionsAtTime(sn_pos, x["sn_start"], x["sn_end"]).mask(
                erass, mission=mission
            )
        call = "associate" if assoc else "mask"
        return lambda: getattr(Positions(x["pos_e"]), call)(
            swift, mission="swift", instruments=["XRT"]
        )
    e_sky = SkyCoord(erass["ra"].to_numpy(), erass["dec"].to_numpy(), unit="deg", frame=FK5())
    if case == "A":
        a_sky = sky(x["pos_a"])

        def astropy_a() -> list[str]:
            _, obs, _, _ = e_sky.search_around_sky(a_sky, r * u.deg)
            return sorted(obs_ids[np.unique(obs)].tolist())

        return astropy_a
    if case == "B":
        a_sky = sky(x["pos_a"])

        def astropy_b() -> pl.DataFrame:
            pos, obs, sep, _ = e_sky.search_around_sky(a_sky, r * u.deg)
            return pl.DataFrame(
                {"pos_index": pos, "obs_id": obs_ids[obs], "separation_deg": sep.deg}
            )

        return astropy_b
    if case == "C":
        c_sky, radii = sky(x["pos_c"]), x["radii_c"]

        def astropy_c() -> list[str]:  # the largest radius, then each pair's own radius
            pos, obs, sep, _ = e_sky.search_around_sky(c_sky, radii.max() * u.deg)
            keep = sep.deg <= radii[pos]
            return sorted(obs_ids[np.unique(obs[keep])].tolist())

        return astropy_c
    if case == "D":
        d_sky = sky(np.column_stack([x["sn_ra"], x["sn_dec"]]))
        o_start = erass["start"].dt.replace_time_zone(None).to_numpy()
        o_end = erass["end"].dt.replace_time_zone(None).to_numpy()
        sn_start, sn_end = x["sn_start"], x["sn_end"]

        def astropy_d() -> list[str]:
            pos, obs, _, _ = e_sky.search_around_sky(d_sky, r * u.deg)
            keep = (o_start[obs] <= sn_end[pos]) & (o_end[obs] >= sn_start[pos])
            return sorted(obs_ids[np.unique(obs[keep])].tolist())

        return astropy_d
    xrt = swift.filter(pl.col("exposure_xrt") > 0)
    x_sky = SkyCoord(xrt["ra"].to_numpy(), xrt["dec"].to_numpy(), unit="deg", frame=FK5())
    e_pos = sky(x["pos_e"])
    x_ids = xrt["obs_id"].to_numpy()

    def astropy_e() -> list[str]:
        _, obs, _, _ = x_sky.search_around_sky(e_pos, 1.2 * 11.8 / 60 * u.deg)
        return sorted(x_ids[np.unique(obs)].tolist())

    return astropy_e


def ours_and_peers(args: argparse.Namespace) -> None:
    import polars as pl

    from daxa.missions.erosita import normalise_erass1_de
    from daxa.missions.swift import normalise as normalise_swift
    from daxa.testing import shared_data_dir
    from daxa.testing.tables import generate_table

    shared = shared_data_dir()
    if shared is None:
        sys.exit("needs ../shared/data (the eRASS1 DE tile list and the SN Ia sample)")
    scale = 10 if args.quick else 1
    repeat = args.repeat
    erass = normalise_erass1_de(
        pl.read_csv(shared / "erosita" / "erass_de_dr1_info.csv", infer_schema=False)
    )
    n_a, n_c, n_e = 100_000 // scale, 10_000 // scale, 100_000 // scale
    pos_a, pos_c, pos_e = sky_positions(n_a, 1), sky_positions(n_c, 2), sky_positions(n_e, 3)
    radii_c = np.random.default_rng(4).uniform(0.5, 3.0, n_c)
    sn = pl.read_csv(shared / "samples" / "sn1a_samp.csv").drop_nulls(["ra", "declination"])
    disc = sn["discoverydate"].str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us")
    year = np.timedelta64(365, "D")
    sn_start = (disc.to_numpy() - year).astype("datetime64[us]")
    sn_end = (disc.to_numpy() + year).astype("datetime64[us]")
    raw = generate_table("swiftmastr", 373_182 // scale, seed=0)
    swift = normalise_swift(raw)
    print(f"machine: {os.cpu_count()} cores, {load_average()} (other work shares them)")
    print(
        f"tables: eRASS1 DE {erass.height} tiles; Swift {swift.height} rows (generated). "
        f"positions: A/B {n_a}, C {n_c}, D {sn.height} SNe Ia, E {n_e}. median of {repeat} "
        "runs per method, each method in its own process."
    )
    results: dict[str, dict[str, Any]] = {}
    timings: list[dict[str, Any]] = []

    def picked(t: Timing, table: pl.DataFrame) -> list[str] | None:
        if t.result is None:
            return None
        if isinstance(t.result, pl.DataFrame):  # an association table
            return sorted(set(t.result["obs_id"].to_list()))
        if isinstance(t.result, tuple):  # a mask
            return sorted(table.filter(pl.Series(t.result[0]))["obs_id"].to_list())
        return list(t.result)

    with scratch("daxa-bench-filters-") as folder:
        inputs = folder / "inputs"
        save_inputs(
            inputs,
            erass=erass,
            swift=swift,
            pos_a=pos_a,
            pos_c=pos_c,
            radii_c=radii_c,
            pos_e=pos_e,
            sn_ra=sn["ra"].to_numpy(),
            sn_dec=sn["declination"].to_numpy(),
            sn_start=sn_start,
            sn_end=sn_end,
        )
        for case in "ABCDE":
            table = swift if case == "E" else erass
            runs = {
                "ours": run_isolated(
                    f"{case} ours", f_filter, inputs, repeat, case=case, who="ours"
                ),
                "astropy": run_isolated(
                    f"{case} astropy", f_filter, inputs, repeat, case=case, who="astropy"
                ),
            }
            if case in "CE":
                runs["ours_assoc"] = run_isolated(
                    f"{case} ours with association table",
                    f_filter,
                    inputs,
                    repeat,
                    keep_result=False,
                    case=case,
                    who="ours",
                    assoc=True,
                )
            for t in runs.values():
                timings.append({"method": t.label, **t.cells(4)})
                if not t.ok:
                    sys.exit(f"{t.label} failed: {t.error}")
            r: dict[str, Any] = {key: t for key, t in runs.items()}
            r["ids"] = picked(runs["ours"], table)
            r["astropy_ids"] = picked(runs["astropy"], table)
            if case == "B":
                r["pairs"] = runs["ours"].result.height
                r["astropy_pairs"] = runs["astropy"].result.height
            if case == "E":
                # DAXA keeps only usable rows and searches every row with XRT's radius, whether
                # XRT observed or not; ours keeps the rows where XRT observed. Compare where
                # both apply.
                usable = set(swift.filter(pl.col("science_usable"))["obs_id"].to_list())
                xrt = set(swift.filter(pl.col("exposure_xrt") > 0)["obs_id"].to_list())
                r["daxa_filter"] = sorted(usable & xrt)
            for t in runs.values():
                t.result = None
            results[case] = r
            print(
                f"  {case}: ours {runs['ours'].median:.4f} s, astropy {runs['astropy'].median:.4f} s ({load_average()})",
                flush=True,
            )

    print(table_(timings, ["method", *TIMING_COLUMNS]))
    peer = None
    if not args.no_daxa:
        inputs_daxa = {
            "pos_a": pos_a,
            "pos_c": pos_c,
            "radii_c": radii_c,
            "pos_e": pos_e,
            "sn_ra": sn["ra"].to_numpy(),
            "sn_dec": sn["declination"].to_numpy(),
            "sn_start": sn_start,
            "sn_end": sn_end,
            "swift_ra": swift["ra"].to_numpy(),
            "swift_dec": swift["dec"].to_numpy(),
            "swift_obs_id": swift["obs_id"].to_numpy().astype(str),
            "swift_usable": swift["science_usable"].to_numpy(),
            "swift_start": swift["start"].dt.replace_time_zone(None).to_numpy(),
            "swift_end": swift["end"].dt.replace_time_zone(None).to_numpy(),
            "swift_xrt": swift["exposure_xrt"].fill_null(0).to_numpy(),
            "swift_bat": swift["exposure_bat"].fill_null(0).to_numpy(),
            "swift_uvot": swift["exposure_uvot"].fill_null(0).to_numpy(),
        }
        peer = run_daxa(inputs_daxa, repeat)
    report(results, peer, quick=args.quick)


def report(results: dict[str, dict[str, Any]], peer: dict[str, Any] | None, quick: bool) -> None:
    import polars as pl

    names = {
        "A": "A eRASS1 1e5 pos, scalar r, mask",
        "B": "B eRASS1 1e5 pos, + association table",
        "C": "C eRASS1 1e4 pos, per-position radii",
        "D": "D eRASS1 1,000 SNe Ia, own windows",
        "E": "E Swift 373k rows (XRT), 1e5 pos, mask",
    }
    rows = []
    goals = []
    for key, label in names.items():
        r = results[key]
        ours, astropy = r["ours"].median, r["astropy"].median
        daxa_s = peer[key][0] if peer else None
        daxa_cpu = peer[key][2] if peer else None
        daxa_ids = peer[key][1] if peer else None
        ours_ids = r["ids"]
        if daxa_ids is not None and "daxa_filter" in r:
            keep = set(r["daxa_filter"])
            ours_ids = [i for i in ours_ids if i in keep]
            daxa_ids = [i for i in daxa_ids if i in keep]
        reported = None if quick else DAXA_REPORTED.get(key)
        ratios = [b / ours for b in (daxa_s, reported) if b]
        speedup = min(ratios) if ratios else None  # the more conservative of the two
        if key == "E":
            name, met = f"E <= {SWIFT_LIMIT_S} s", ours <= SWIFT_LIMIT_S
            value = f"{ours:.4f} s (cpu {r['ours'].cpu:.4f})"
        else:
            name = f"{key} >= {GOALS[key]:g}x DAXA"
            met = "n/a: no DAXA figure" if speedup is None else speedup >= GOALS[key]
            value = "-" if speedup is None else f"{speedup:.1f}x"
        goals.append(goal(name, value, met))
        rows.append(
            {
                "workload": label,
                "ours s": round(ours, 4),
                "ours cpu s": round(r["ours"].cpu, 4),
                "astropy s": round(astropy, 4),
                "DAXA s (here)": None if daxa_s is None else round(daxa_s, 3),
                "DAXA cpu s": None if daxa_cpu is None else round(daxa_cpu, 3),
                "DAXA s (issue)": DAXA_REPORTED.get(key),
                "vs DAXA (here)": None if not daxa_s else round(daxa_s / ours, 1),
                "vs DAXA (issue)": None if not reported else round(reported / ours, 1),
                "vs astropy": round(astropy / ours, 1),
                "same ObsIDs as astropy": r["ids"] == r["astropy_ids"],
                "same as DAXA": None if daxa_ids is None else ours_ids == sorted(daxa_ids),
            }
        )
    with pl.Config(tbl_rows=20, tbl_cols=20, tbl_width_chars=250, fmt_str_lengths=60):
        print(pl.DataFrame(rows))
    b = results["B"]
    print(
        f"B pairs: ours {b['pairs']}, astropy {b['astropy_pairs']}; C with its association "
        f"table {results['C']['ours_assoc'].median:.4f} s; E with its association table "
        f"{results['E']['ours_assoc'].median:.4f} s"
    )
    if peer:
        print(f"DAXA peer version {peer['version']} (its own interpreter, same inputs)")
    print_goals(goals, quick)
    if quick:
        print("(--quick: sizes are a tenth; DAXA's issue figures are for full sizes)")


if __name__ == "__main__":
    main()
