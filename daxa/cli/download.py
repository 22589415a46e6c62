"""``daxa download``: fetch observations' data files from the archives."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from daxa.cli._output import format_table
from daxa.errors import InputError

EXAMPLE = """\
daxa download chandra 1234 5678 --dest data/
daxa download swift 00035014001 --instruments XRT --products
daxa select swift --name "Cas A" --save sel/ && daxa download --selection sel/swift.json"""


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    from daxa.cli import add_subcommand

    p = add_subcommand(
        sub,
        "download",
        common,
        help="download observations' data (raw files or pre-processed products)",
        description="Download the data of observations into DEST/<mission>/<obs_id>/, with "
        "retries, resume and size checks; what is complete already is not fetched again. Give "
        "a mission and ObsIDs, or a selection saved by `daxa select --save` (then only the "
        "instruments covering your positions are fetched).",
        example=EXAMPLE,
    )
    p.add_argument("mission", nargs="?", metavar="MISSION")
    p.add_argument("obs_ids", nargs="*", metavar="OBS_ID")
    p.add_argument("--selection", metavar="FILE", help="a selection saved by `daxa select --save`")
    p.add_argument(
        "--instruments", metavar="INST[,INST...]", help="instruments (default: the mission's)"
    )
    p.add_argument("--dest", default=None, metavar="DIR", help="where to put the data")
    p.add_argument(
        "--products", action="store_true", help="also fetch the archive's processed products"
    )
    p.add_argument("--version", metavar="V", help="eRASS1 pipeline version (default: highest)")
    p.add_argument("--workers", type=int, default=8, metavar="N", help="parallel transfers")
    p.add_argument(
        "--verify",
        action="store_true",
        help="re-hash every downloaded file, list the archive again and fetch only what is "
        "damaged, missing or newly listed",
    )
    p.set_defaults(func=run_download)


def run_download(args: argparse.Namespace) -> int:
    from daxa.download import DEFAULT_DEST, download, download_selection

    options: dict[str, Any] = {
        "dest": args.dest or DEFAULT_DEST,
        "kind": "products" if args.products else "raw",
        "max_workers": args.workers,
        "progress": sys.stderr.isatty() and not args.quiet,
        "verify": "sha256" if args.verify else "size",
    }
    if args.version:
        options["version"] = args.version
    if args.instruments:
        options["instruments"] = [i.strip() for i in args.instruments.split(",") if i.strip()]
    if args.selection:
        if args.mission or args.obs_ids:
            raise InputError("give --selection FILE or MISSION OBS_ID..., not both")
        from daxa.selection import Selection

        selection = Selection.load(args.selection)
        if not selection.obs_ids:
            raise InputError(f"the selection in {args.selection!r} holds no observations")
        report = download_selection(selection, **options)
    else:
        if not args.mission:
            raise InputError("name a MISSION and OBS_IDs, or give --selection FILE")
        if not args.obs_ids:
            raise InputError(
                f"no ObsIDs given for {args.mission}; e.g. `daxa download {args.mission} <obs_id>`"
            )
        ids = [o.strip() for item in args.obs_ids for o in item.split(",") if o.strip()]
        report = download(args.mission, ids, **options)
    print(format_table(report.to_frame().drop("reason"), max_rows=50))
    print(str(report).splitlines()[0])
    for obs_id, why in report.failed.items():
        print(f"error: {report.mission} {obs_id}: {why}", file=sys.stderr)
    return 0 if report.all_ok else 1
