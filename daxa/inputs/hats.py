"""Reading HATS catalogues (the partitioned Parquet layout LSDB uses): which files, in
HEALPix order, and which columns hold RA and Dec."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from daxa.errors import InputError


def is_hats(path: Path) -> bool:
    """True for a HATS catalogue folder (it has ``hats.properties`` or ``properties``)."""
    return (path / "hats.properties").is_file() or (
        (path / "properties").is_file() and (path / "partition_info.csv").is_file()
    )


def read_properties(path: Path) -> dict[str, str]:
    """The ``key=value`` pairs of a HATS properties file."""
    file = path / "hats.properties"
    if not file.is_file():
        file = path / "properties"
    out: dict[str, str] = {}
    for line in file.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "!")) or "=" not in line:
            continue
        key, value = line.split("=", 1)
        out[key.strip()] = value.strip().replace("\\:", ":")
    return out


def partitions(path: Path) -> list[tuple[int, int]]:
    """(order, pixel) of every partition of the catalogue at ``path``."""
    info = path / "partition_info.csv"
    if info.is_file():
        frame = pl.read_csv(info)
        if "Norder" not in frame.columns or "Npix" not in frame.columns:
            raise InputError(f"{info} has no Norder and Npix columns")
        return list(zip(frame["Norder"].to_list(), frame["Npix"].to_list(), strict=True))
    found = []
    for f in path.rglob("Npix=*"):
        order = next(p for p in f.parts if p.startswith("Norder="))
        found.append((int(order.split("=")[1]), int(f.name.split("=")[1].split(".")[0])))
    return found


def partition_path(root: Path, order: int, pixel: int, *, dataset: bool = True) -> Path:
    """``root/dataset/Norder=K/Dir=D/Npix=N.parquet``."""
    base = root / "dataset" if dataset else root
    return base / f"Norder={order}" / f"Dir={pixel // 10_000 * 10_000}" / f"Npix={pixel}.parquet"


def partition_files(root: Path) -> tuple[list[Path], list[tuple[int, int]]]:
    """The catalogue's Parquet files in HEALPix order, and its partitions in that order."""
    dataset = (root / "dataset").is_dir()
    parts = sorted(partitions(root), key=lambda op: op[1] << (2 * (29 - op[0])))
    files: list[Path] = []
    for order, pixel in parts:
        f = partition_path(root, order, pixel, dataset=dataset)
        if f.is_file():
            files.append(f)
        elif f.with_suffix("").is_dir():  # Npix=N/ folders of several files
            files.extend(sorted(f.with_suffix("").glob("*.parquet")))
        else:
            raise InputError(
                f"the HATS catalogue {root} lists Norder={order} Npix={pixel} but {f} is missing"
            )
    if not files:
        raise InputError(f"the HATS catalogue {root} has no partitions")
    return files, parts
