"""The sky engine against astropy and scipy's KD-tree, on seeded uniform and clustered skies.

Run: ``python benchmarks/bench_sky.py`` (full size; ``--quick`` for a tenth of every size).
Each workload runs every method in this one process, checks that they all return the same
pairs, and prints the best wall time (and its CPU time), the peak extra resident memory and
the ratios. Goals (issue 3, full size, on this 2-core machine):

- A: 1e6 pointings x 1e5 positions at 0.5 deg: <= 0.35 s and >= 5x astropy search_around_sky
- B: 2e4 pointings x 1e6 positions at 15': <= 0.2 s from RA/Dec, <= 0.1 s on stored columns
- C: 1e7 x 1e6 best match within 2": <= 0.6 s, <= 1.5 GB peak, >= 10x a scipy KD-tree
- per-row radii cost <= 1.3x the scalar radius; clustered skies <= 2x the uniform ones
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Measure, load_average, measure, mib, table  # noqa: E402

from daxa.sky import (  # noqa: E402
    cone_mask,
    healpix_index,
    interval_pairs,
    nearest,
    pair_search,
)
from daxa.sky.geometry import loosen  # noqa: E402
from daxa.sky.intervals import count_interval_pairs  # noqa: E402

ARCSEC = 1 / 3600
#: Set by --ours-only: time daxa alone (quick to rerun when the machine is quiet).
OURS_ONLY = False


# ---------------------------------------------------------------------------------------------
# skies


def uniform(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n positions uniform on the sphere."""
    return rng.uniform(0, 360, n), np.degrees(np.arcsin(rng.uniform(-1, 1, n)))


def scatter(ra0, dec0, sigma_deg, rng) -> tuple[np.ndarray, np.ndarray]:
    """Positions scattered around (ra0, dec0) by ~sigma (Gaussian offsets on the sky)."""
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    n = np.size(ra0)
    pa = rng.uniform(0, 360, n) * u.deg
    sep = np.abs(rng.normal(0, sigma_deg, n)) * u.deg
    c = SkyCoord(np.asarray(ra0) * u.deg, np.asarray(dec0) * u.deg).directional_offset_by(pa, sep)
    return c.ra.deg, c.dec.deg


def clustered(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Observation-like pointings: 20% on one target (within ~0.05 deg), 30% on 1000 targets
    (0.2 deg scatter), the rest uniform, in random order."""
    n_one, n_many = n // 5, (3 * n) // 10
    ra_u, dec_u = uniform(n - n_one - n_many, rng)
    ra_1, dec_1 = scatter(np.full(n_one, 83.63), np.full(n_one, 22.01), 0.05, rng)  # the Crab
    t_ra, t_dec = uniform(1000, rng)
    pick = rng.integers(0, 1000, n_many)
    ra_m, dec_m = scatter(t_ra[pick], t_dec[pick], 0.2, rng)
    ra = np.concatenate([ra_u, ra_1, ra_m])
    dec = np.concatenate([dec_u, dec_1, dec_m])
    order = rng.permutation(n)
    return ra[order], dec[order]


# ---------------------------------------------------------------------------------------------
# methods: each returns (left, right, separation) sorted by (left, right)


def ours(left, right, radius, **kw):
    p = pair_search(*left, *right, radius, **kw)
    return p.left, p.right, p.separation


def astropy_pairs(left, right, radius):
    from astropy import units as u
    from astropy.coordinates import SkyCoord, search_around_sky

    c1 = SkyCoord(left[0] * u.deg, left[1] * u.deg)
    c2 = SkyCoord(right[0] * u.deg, right[1] * u.deg)
    i, j, sep, _ = search_around_sky(c1, c2, radius * u.deg)
    order = np.lexsort((j, i))
    return i[order], j[order], sep.deg[order]


def _xyz(ra, dec):
    r, d = np.radians(ra), np.radians(dec)
    return np.column_stack((np.cos(d) * np.cos(r), np.cos(d) * np.sin(r), np.sin(d)))


def _chord(radius):
    return 2 * np.sin(np.radians(radius) / 2)


def kdtree_sparse(left, right, radius):
    """Two KD-trees and sparse_distance_matrix (vectorised output)."""
    from scipy.spatial import cKDTree

    t1, t2 = cKDTree(_xyz(*left)), cKDTree(_xyz(*right))
    m = t1.sparse_distance_matrix(t2, _chord(radius), output_type="ndarray")
    order = np.lexsort((m["j"], m["i"]))
    m = m[order]
    return m["i"].astype(np.int64), m["j"].astype(np.int64), np.degrees(2 * np.arcsin(m["v"] / 2))


def kdtree_ball(left, right, radius):
    """One KD-tree on the smaller side, query_ball_point from the other (both cores)."""
    from scipy.spatial import cKDTree

    small_is_right = len(right[0]) <= len(left[0])
    small, big = (right, left) if small_is_right else (left, right)
    tree = cKDTree(_xyz(*small))
    big_xyz = _xyz(*big)
    hits = tree.query_ball_point(big_xyz, _chord(radius), workers=-1, return_sorted=False)
    counts = np.fromiter(map(len, hits), dtype=np.int64, count=len(hits))
    b = np.repeat(np.arange(len(hits)), counts)
    s = np.concatenate([np.asarray(h, dtype=np.int64) for h in hits if h]) if counts.sum() else b
    i, j = (b, s) if small_is_right else (s, b)
    d = np.linalg.norm(_xyz(*left)[i] - _xyz(*right)[j], axis=1)
    order = np.lexsort((j, i))
    return i[order], j[order], np.degrees(2 * np.arcsin(d[order] / 2))


def ours_nearest(left, right, radius, **kw):
    p = nearest(*left, *right, radius, **kw)
    return p.left, p.right, p.separation


def kdtree_nearest(left, right, radius):
    from scipy.spatial import cKDTree

    tree = cKDTree(_xyz(*right))
    d, j = tree.query(_xyz(*left), k=1, distance_upper_bound=_chord(radius), workers=-1)
    i = np.flatnonzero(np.isfinite(d))
    return i, j[i].astype(np.int64), np.degrees(2 * np.arcsin(d[i] / 2))


def astropy_nearest(left, right, radius):
    from astropy import units as u
    from astropy.coordinates import SkyCoord, match_coordinates_sky

    c1 = SkyCoord(left[0] * u.deg, left[1] * u.deg)
    c2 = SkyCoord(right[0] * u.deg, right[1] * u.deg)
    j, sep, _ = match_coordinates_sky(c1, c2)
    i = np.flatnonzero(sep.deg <= radius)
    return i, j[i].astype(np.int64), sep.deg[i]


# ---------------------------------------------------------------------------------------------
# checking


def compare(reference, other, radius, n_right) -> str:
    """'same' when both pair sets agree (pairs differing only within 1e-9 deg of the radius
    boundary are tolerated and counted), else a description of the difference."""
    ka = reference[0] * n_right + reference[1]
    kb = other[0].astype(np.int64) * n_right + other[1].astype(np.int64)
    if ka.size == kb.size and np.array_equal(np.sort(ka), np.sort(kb)):
        sa = reference[2][np.argsort(ka)]
        sb = other[2][np.argsort(kb)]
        worst = float(np.max(np.abs(sa - sb))) if sa.size else 0.0
        return "same" if worst < 1e-8 else f"same pairs, separations differ by {worst:.1e} deg"
    only_a = np.setdiff1d(ka, kb)
    only_b = np.setdiff1d(kb, ka)
    sep_a = reference[2][np.isin(ka, only_a)]
    r = np.max(radius) if np.ndim(radius) else radius
    boundary = np.all(np.abs(sep_a - r) < 1e-9) if sep_a.size else True
    note = "boundary only" if boundary and only_b.size == 0 else "DIFFERENT"
    return f"{note}: {only_a.size} only in ours, {only_b.size} only in theirs"


# ---------------------------------------------------------------------------------------------
# the run


def run_methods(
    name: str,
    methods: dict[str, Callable[[], Any]],
    repeats: dict[str, int],
    radius,
    n_right: int,
    rows: list[dict[str, Any]],
) -> dict[str, Measure]:
    results: dict[str, Measure] = {}
    for label, fn in methods.items():
        if OURS_ONLY and not label.startswith("ours"):
            results[label] = Measure(float("nan"), float("nan"), 0, None)
            continue
        m = measure(fn, repeat=repeats.get(label, 1), trace=label.startswith("ours"))
        results[label] = m
        print(f"  {name:<26} {label:<22} {m.seconds:8.3f} s", flush=True)
    reference = next(iter(results.values())).result
    for label, m in results.items():
        if m.result is None:
            continue
        check = (
            "reference" if m.result is reference else compare(reference, m.result, radius, n_right)
        )
        rows.append(
            {
                "workload": name,
                "method": label,
                "time_s": f"{m.seconds:.3f}",
                "cpu_s": f"{m.cpu_seconds:.3f}",
                "peak_MiB": mib(m.peak_bytes),
                "pairs": len(m.result[0]),
                "check": check,
            }
        )
        m.result = None  # free the pairs before the next workload
    return results


def bench_a(k: int, rng, reps: int, rows: list, goals: list) -> None:
    """A: many pointings x fewer positions at 0.5 deg; per-row radii; a clustered sky."""
    left, right, r = uniform(1_000_000 // k, rng), uniform(100_000 // k, rng), 0.5
    n_right = right[0].size
    res = run_methods(
        "A uniform 0.5 deg",
        {
            "ours": lambda: ours(left, right, r),
            "astropy search_around": lambda: astropy_pairs(left, right, r),
            "kdtree sparse": lambda: kdtree_sparse(left, right, r),
            "kdtree ball": lambda: kdtree_ball(left, right, r),
        },
        {"ours": reps},
        r,
        n_right,
        rows,
    )
    t = res["ours"].seconds
    t_astropy = res["astropy search_around"].seconds
    t_kd = min(res["kdtree sparse"].seconds, res["kdtree ball"].seconds)
    goals.append({"goal": "A <= 0.35 s", "value": _wall_cpu(res["ours"]), "met": t <= 0.35})
    goals.append(
        {"goal": "A >= 5x astropy", "value": f"{t_astropy / t:.1f}x", "met": t_astropy / t >= 5}
    )
    goals.append({"goal": "A vs best KD-tree", "value": f"{t_kd / t:.1f}x", "met": "-"})

    radii = rng.uniform(r / 2, r, left[0].size)  # per-row radii; the largest is the scalar
    res_pr = run_methods(
        "A per-left radii",
        {
            "ours per-row": lambda: ours(left, right, radii),
            "ours scalar + filter": lambda: _filtered(ours(left, right, r), radii),
        },
        {"ours per-row": reps},
        radii,
        n_right,
        rows,
    )
    per_row = res_pr["ours per-row"].seconds / t
    goals.append(
        {"goal": "per-row <= 1.3x scalar", "value": f"{per_row:.2f}x", "met": per_row <= 1.3}
    )

    c_left = clustered(left[0].size, rng)
    res_c = run_methods(
        "A clustered 0.5 deg",
        {
            "ours": lambda: ours(c_left, right, r),
            "astropy search_around": lambda: astropy_pairs(c_left, right, r),
            "kdtree sparse": lambda: kdtree_sparse(c_left, right, r),
        },
        {"ours": reps},
        r,
        n_right,
        rows,
    )
    worse = res_c["ours"].seconds / t
    goals.append(
        {"goal": "clustered <= 2x uniform (A)", "value": f"{worse:.2f}x", "met": worse <= 2}
    )


def bench_b(k: int, rng, reps: int, rows: list, goals: list) -> None:
    """B: few pointings x many positions at 15 arcmin, from RA/Dec and with stored columns."""
    left, right, r = uniform(20_000 // k, rng), uniform(1_000_000 // k, rng), 15 / 60
    h_left, h_right = healpix_index(*left), healpix_index(*right)
    res = run_methods(
        "B uniform 15 arcmin",
        {
            "ours": lambda: ours(left, right, r),
            "ours stored columns": lambda: ours(
                left, right, r, left_hpx29=h_left, right_hpx29=h_right
            ),
            "astropy search_around": lambda: astropy_pairs(left, right, r),
            "kdtree ball": lambda: kdtree_ball(left, right, r),
        },
        {"ours": reps, "ours stored columns": reps},
        r,
        right[0].size,
        rows,
    )
    t, t_stored = res["ours"].seconds, res["ours stored columns"].seconds
    t_astropy = res["astropy search_around"].seconds
    goals.append(
        {"goal": "B <= 0.2 s from RA/Dec", "value": _wall_cpu(res["ours"]), "met": t <= 0.2}
    )
    goals.append(
        {
            "goal": "B <= 0.1 s stored columns",
            "value": _wall_cpu(res["ours stored columns"]),
            "met": t_stored <= 0.1,
        }
    )
    goals.append({"goal": "B vs astropy", "value": f"{t_astropy / t:.1f}x", "met": "-"})

    c_right = clustered(right[0].size, rng)
    res_c = run_methods(
        "B clustered positions",
        {
            "ours": lambda: ours(left, c_right, r),
            "kdtree ball": lambda: kdtree_ball(left, c_right, r),
        },
        {"ours": reps},
        r,
        c_right[0].size,
        rows,
    )
    worse = res_c["ours"].seconds / t
    goals.append(
        {"goal": "clustered <= 2x uniform (B)", "value": f"{worse:.2f}x", "met": worse <= 2}
    )


def bench_c(k: int, rng, reps: int, rows: list, goals: list, with_astropy: bool) -> None:
    """C: best match within 2 arcsec of 1e7 rows against 1e6."""
    left, right, r = uniform(10_000_000 // k, rng), uniform(1_000_000 // k, rng), 2 * ARCSEC
    # a tenth of the left rows are true counterparts of right rows, within ~1 arcsec
    pick = rng.choice(right[0].size, left[0].size // 10, replace=False)
    rows_c = rng.choice(left[0].size, pick.size, replace=False)
    left[0][rows_c], left[1][rows_c] = scatter(right[0][pick], right[1][pick], 0.7 * ARCSEC, rng)
    h_left, h_right = healpix_index(*left), healpix_index(*right)
    methods: dict[str, Callable[[], Any]] = {
        "ours nearest": lambda: ours_nearest(left, right, r),
        "ours stored columns": lambda: ours_nearest(
            left, right, r, left_hpx29=h_left, right_hpx29=h_right
        ),
        "kdtree query k=1": lambda: kdtree_nearest(left, right, r),
    }
    if with_astropy:
        methods["astropy match_coords"] = lambda: astropy_nearest(left, right, r)
    res = run_methods(
        "C best match 2 arcsec",
        methods,
        {"ours nearest": reps, "ours stored columns": reps},
        r,
        right[0].size,
        rows,
    )
    t, peak = res["ours nearest"].seconds, res["ours nearest"].peak_bytes
    t_kd = res["kdtree query k=1"].seconds
    goals.append({"goal": "C <= 0.6 s", "value": _wall_cpu(res["ours nearest"]), "met": t <= 0.6})
    goals.append({"goal": "C peak <= 1.5 GB", "value": f"{mib(peak)} MiB", "met": peak <= 1.5e9})
    goals.append({"goal": "C >= 10x KD-tree", "value": f"{t_kd / t:.1f}x", "met": t_kd / t >= 10})


def bench_other(k: int, rng, rows: list) -> None:
    """Interval joins, cone queries on a table, HEALPix indexing."""
    import polars as pl

    year_us = 365 * 86400 * 10**6
    n_obs, n_win = 1_000_000 // k, 100_000 // k
    hour_us = 3600 * 10**6
    start = rng.integers(0, 20 * year_us, n_obs)  # 20 years of observations up to 12 h long
    end = start + rng.integers(0, 12 * hour_us, n_obs)
    ws = rng.integers(0, 20 * year_us, n_win)  # windows up to 2 h long
    we = ws + rng.integers(0, 2 * hour_us, n_win)
    ra, dec = uniform(1_000_000 // k, rng)
    cones = pl.DataFrame({"ra": ra, "dec": dec, "_healpix_29": healpix_index(ra, dec)})
    cones_sorted = cones.sort("_healpix_29")
    cases: list[tuple[str, Callable[[], int]]] = [
        (
            "count_interval_pairs overlap",
            lambda: count_interval_pairs(start, end, ws, we, "overlap"),
        ),
        ("interval_pairs overlap", lambda: len(interval_pairs(start, end, ws, we)[0])),
        (
            "interval_pairs inside",
            lambda: len(interval_pairs(start, end, ws, we, mode="inside")[0]),
        ),
        ("cone_mask 1 deg, unsorted table", lambda: int(cone_mask(cones, 150, 2.2, 1.0).sum())),
        (
            "cone_mask 1 deg, hpx-sorted table",
            lambda: int(cone_mask(cones_sorted, 150, 2.2, 1.0).sum()),
        ),
        ("healpix_index order 29 (ours)", lambda: len(healpix_index(ra, dec))),
        ("astropy-healpix order 29", lambda: len(_astropy_healpix(ra, dec))),
    ]
    for label, fn in cases:
        m = measure(fn, repeat=3, trace=not label.startswith("astropy"))
        rows.append(
            {
                "operation": label,
                "time_s": f"{m.seconds:.4f}",
                "peak_MiB": mib(m.peak_bytes),
                "result": m.result,
            }
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every size 10x smaller")
    parser.add_argument("--no-astropy-c", action="store_true", help="skip astropy on C (slow)")
    parser.add_argument("--ours-only", action="store_true", help="skip the peers (no checks)")
    args = parser.parse_args()
    global OURS_ONLY
    OURS_ONLY = args.ours_only
    k = 10 if args.quick else 1
    size = "quick" if args.quick else "full"
    rng = np.random.default_rng(20240601)
    reps = 5 if args.quick else 3
    rows: list[dict[str, Any]] = []
    goals: list[dict[str, Any]] = []
    other: list[dict[str, Any]] = []
    print(f"bench_sky ({size} size), before the run: {load_average()}", flush=True)
    bench_a(k, rng, reps, rows, goals)
    bench_b(k, rng, reps, rows, goals)
    bench_c(k, rng, reps, rows, goals, not args.no_astropy_c)
    bench_other(k, rng, other)
    print()
    print(f"{size} size; after the run: {load_average()}")
    print(table(rows, ["workload", "method", "time_s", "cpu_s", "peak_MiB", "pairs", "check"]))
    print()
    print(table(other, ["operation", "time_s", "peak_MiB", "result"]))
    print()
    print("goals" + (" (they are for the full size)" if args.quick else ""))
    print(table(goals, ["goal", "value", "met"]))


def _wall_cpu(m: Measure) -> str:
    """Wall time, with the CPU time beside it (they differ when the machine is busy)."""
    return f"{m.seconds:.3f} s (cpu {m.cpu_seconds:.3f})"


def _filtered(result, radii):
    left, right, sep = result
    keep = sep <= loosen(radii[left])
    return left[keep], right[keep], sep[keep]


def _astropy_healpix(ra, dec):
    from astropy import units as u
    from astropy_healpix import core as hp

    return hp.lonlat_to_healpix(ra * u.deg, dec * u.deg, 1 << 29, order="nested")


if __name__ == "__main__":
    main()
