"""The ``daxa`` command: one subcommand per capability, one module per subcommand group.

Errors daxa raises on purpose (:class:`~daxa.errors.DaxaError`) print as one line,
``error: <message>``, and exit 1; anything unexpected exits 2 with a one-line message and a
hint to rerun with ``--traceback``. Options common to every subcommand (``--cache-dir``,
``--mirror``, ``--traceback``, ``--quiet``) may come before or after the subcommand.

>>> main(["missions", "--help"]) == 0  # doctest: +ELLIPSIS
usage: daxa missions ...
True
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import traceback
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

from daxa.errors import DaxaError

PROG = "daxa"

DESCRIPTION = """\
Find, filter, cross-match and download X-ray archive observations.

Start with `daxa demo` (runs offline against a local emulator of the archives), then
`daxa missions` and `daxa fetch all` against the real archives."""

EPILOG = """\
examples:
  daxa demo                                   # offline tour, writes plots to demo_output/
  daxa missions                               # every mission and what is cached
  daxa fetch xmm_pointed chandra              # fetch two observation tables into the cache
  daxa select xmm_pointed --name "Coma Cluster" -o coma.csv
  daxa sql "SELECT mission, count(*) FROM observations GROUP BY mission"
  daxa doctor                                 # are the archives up, do their tables still fit?

`daxa <command> --help` shows each command's options and an example."""


class UsageError(Exception):
    """A command line argparse could not make sense of."""


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors become one ``error:`` line (exit 1), not a usage dump."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def common_options() -> argparse.ArgumentParser:
    """Options every subcommand accepts, before or after its name."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("common options")
    group.add_argument(
        "--cache-dir",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="cache folder (default: $DAXA_CACHE_DIR or ./data_cache)",
    )
    group.add_argument(
        "--mirror",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="send every archive request to this mirror or emulator (default: $DAXA_MIRROR)",
    )
    group.add_argument(
        "--traceback",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the full traceback when something fails",
    )
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS,
        help="no progress bars or warnings",
    )
    return common


#: Subcommands in help order: (module with ``register``, names and aliases, one-line help).
#: The help lines are here so ``daxa --help`` lists every command without importing any of
#: them; only the command being run is imported (with its back end: polars, astropy, DuckDB).
_SUBCOMMANDS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("daxa.cli.missions", ("missions",), "list the missions and what is cached"),
    ("daxa.cli.missions", ("fetch",), "fetch observation tables into the cache (or refresh them)"),
    ("daxa.cli.missions", ("info", "summary"), "summarise one mission's table"),
    (
        "daxa.cli.select",
        ("select",),
        "filter missions' observations (positions, names, times, types...) to a file",
    ),
    ("daxa.sql.cli", ("sql",), "run SQL over the cached observation tables (DuckDB)"),
    (
        "daxa.cli.match",
        ("match",),
        "cross-match a catalogue of positions against the observations (bulk)",
    ),
    (
        "daxa.cli.download",
        ("download",),
        "download observations' data (raw files or pre-processed products)",
    ),
    (
        "daxa.cli.doctor",
        ("doctor",),
        "check the archives: reachable, columns daxa needs, rows per table",
    ),
    (
        "daxa.cli.serve",
        ("serve",),
        "serve the local archive emulator (offline stand-in for the archives)",
    ),
    (
        "daxa.cli.demo",
        ("demo",),
        "offline tour: emulated archives, searches, SQL, cross-match, download, plots",
    ),
)


def _register(module: str, sub: Any, common: argparse.ArgumentParser) -> None:
    """Run one command module's ``register`` (daxa.sql's takes only the subparsers)."""
    mod = importlib.import_module(module)
    if module == "daxa.sql.cli":
        mod.register_cli(sub)
    else:
        mod.register(sub, common)


def _command_of(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` runs (None for none, or for ``daxa --help``), found by parsing
    with placeholder subcommands, which imports nothing."""
    names = {n for _, group, _ in _SUBCOMMANDS for n in group}
    probe = _Parser(add_help=False, parents=[common_options()])
    probe.add_argument("--version", action="store_true")
    sub = probe.add_subparsers(dest="command", parser_class=_Parser)
    for _, group, _ in _SUBCOMMANDS:
        sub.add_parser(group[0], aliases=list(group[1:]), add_help=False)
    try:
        known, _ = probe.parse_known_args(list(argv))
    except (SystemExit, UsageError):  # the full parser says what is wrong
        return None
    command = getattr(known, "command", None)
    return command if command in names else None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The ``daxa`` parser. Given ``argv``, only the subcommand it runs is built in full (the
    others are help-only placeholders, so ``daxa --help`` stays fast); without, all are."""
    common = common_options()
    parser = _Parser(
        prog=PROG,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    from daxa._version import __version__

    parser.add_argument("--version", action="version", version=f"daxa {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="<command>", parser_class=_Parser)
    wanted = None if argv is None else _command_of(argv)
    full = {m for m, group, _ in _SUBCOMMANDS if argv is None or wanted in group}
    for module in dict.fromkeys(m for m, _, _ in _SUBCOMMANDS if m in full):
        _register(module, sub, common)
    for module, group, help_line in _SUBCOMMANDS:
        if module not in full:
            sub.add_parser(group[0], aliases=list(group[1:]), help=help_line, add_help=False)
    for name, subparser in sub.choices.items():
        _ensure_common(subparser, common)
        if subparser.epilog is None:
            subparser.epilog = f"example:\n  daxa {name} --help"
    return parser


def _ensure_common(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Give a subparser registered elsewhere (e.g. by daxa.sql) the common options too."""
    have = {s for a in parser._actions for s in a.option_strings}
    for action in parser._actions:
        # an own default (None) would overwrite the value given before the subcommand
        if set(action.option_strings) & {"--cache-dir", "--mirror"} and action.default is None:
            action.default = argparse.SUPPRESS
    for action in common._actions:
        if not set(action.option_strings) & have:
            parser._add_action(action)


def add_subcommand(
    sub: Any,
    name: str,
    common: argparse.ArgumentParser,
    *,
    help: str,
    description: str,
    example: str,
    aliases: Sequence[str] = (),
) -> argparse.ArgumentParser:
    """A subparser with the common options, a description and an example in its help."""
    import textwrap

    return sub.add_parser(  # type: ignore[no-any-return]
        name,
        help=help,
        description="\n\n".join(textwrap.fill(p, 92) for p in description.split("\n\n")),
        epilog="example:\n" + "".join(f"  {line}\n" for line in example.strip().splitlines()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
        aliases=list(aliases),
    )


@contextmanager
def _applied(args: argparse.Namespace) -> Iterator[None]:
    """Apply --cache-dir and --mirror for the duration of one command."""
    from daxa import config

    saved_env = os.environ.get("DAXA_CACHE_DIR")
    cache = getattr(args, "cache_dir", None)
    mirror = getattr(args, "mirror", None)
    if cache is not None:
        os.environ["DAXA_CACHE_DIR"] = str(cache)
    try:
        if mirror:
            with config.mirror(mirror):
                yield
        else:
            yield
    finally:
        if cache is not None:
            if saved_env is None:
                os.environ.pop("DAXA_CACHE_DIR", None)
            else:
                os.environ["DAXA_CACHE_DIR"] = saved_env


class _LowerLevelFormatter(logging.Formatter):
    """``warning: ...`` / ``error: ...``, matching the CLI's own messages."""

    def format(self, record: logging.LogRecord) -> str:
        record.levelname = record.levelname.lower()
        return super().format(record)


@contextmanager
def _messages(quiet: bool) -> Iterator[None]:
    """Python warnings and daxa's log records as one ``warning:`` line each on stderr, for
    the duration of one command (``quiet``: errors only)."""

    def show(message: Any, category: Any, filename: str, lineno: int, *a: Any, **k: Any) -> None:
        print(f"warning: {message}", file=sys.stderr)

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LowerLevelFormatter("%(levelname)s: %(message)s"))
    logger = logging.getLogger("daxa")
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.ERROR if quiet else logging.WARNING)
    logger.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.showwarning = show
            warnings.simplefilter("ignore" if quiet else "default")
            yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``daxa`` command with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    show_tb = "--traceback" in args_list
    try:
        parser = build_parser(args_list)
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # --help and --version
        return int(exc.code or 0)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        return _unexpected(exc, show_tb)
    for name in ("cache_dir", "mirror", "traceback", "quiet"):
        if not hasattr(args, name):
            setattr(args, name, None)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 0
    quiet = bool(getattr(args, "quiet", False))
    saved_progress = os.environ.get("DAXA_PROGRESS")
    if quiet:
        os.environ["DAXA_PROGRESS"] = "0"
    try:
        with _messages(quiet), _applied(args):
            code = args.func(args)
        return int(code or 0)
    except DaxaError as exc:
        if show_tb:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        return _unexpected(exc, show_tb)
    finally:
        if quiet:
            if saved_progress is None:
                os.environ.pop("DAXA_PROGRESS", None)
            else:
                os.environ["DAXA_PROGRESS"] = saved_progress


def _unexpected(exc: Exception, show_tb: bool) -> int:
    """A bug, not a user error: one line (or the traceback when asked for) and exit code 2."""
    if show_tb:
        traceback.print_exc()
    print(
        f"error: unexpected {type(exc).__name__}: {exc}"
        + ("" if show_tb else " (rerun with --traceback to see where, and report it)"),
        file=sys.stderr,
    )
    return 2


__all__ = ["add_subcommand", "build_parser", "main"]
