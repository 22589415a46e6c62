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
from collections.abc import Callable, Iterator, Sequence
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


Registrar = Callable[[Any, argparse.ArgumentParser], None]


#: Subcommands in help order, each with the back end it needs: (module, attribute) or None.
_SUBCOMMANDS: tuple[tuple[str, tuple[str, str] | None], ...] = (
    ("missions", None),
    ("select", ("daxa.search", "search")),
    ("sql", ("daxa.sql", "register_cli")),
    ("match", ("daxa.crossmatch", "match_observations")),
    ("download", ("daxa.download", "download")),
    ("doctor", None),
    ("serve", ("daxa.testing", "ArchiveEmulator")),
    ("demo", ("daxa.testing", "ArchiveEmulator")),
)


def _available(backend: tuple[str, str] | None) -> bool:
    """Whether a back end is installed: its module imports and has the attribute."""
    if backend is None:
        return True
    module, attribute = backend
    try:
        return hasattr(importlib.import_module(module), attribute)
    except Exception:
        return False


def _registrars() -> list[Registrar]:
    """The ``register`` function of every subcommand whose back end can be imported."""
    regs: list[Registrar] = []
    for name, backend in _SUBCOMMANDS:
        if not _available(backend):
            continue
        if name == "sql":
            from daxa.sql import register_cli  # type: ignore[attr-defined]

            def _sql(sub: Any, common: argparse.ArgumentParser, _r: Any = register_cli) -> None:
                _r(sub)

            regs.append(_sql)
        else:
            regs.append(importlib.import_module(f"daxa.cli.{name}").register)
    return regs


def build_parser() -> argparse.ArgumentParser:
    """The full ``daxa`` parser with every subcommand whose back end is installed."""
    common = common_options()
    parser = _Parser(
        prog=PROG,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    from daxa import __version__

    parser.add_argument("--version", action="version", version=f"daxa {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="<command>", parser_class=_Parser)
    for register in _registrars():
        register(sub, common)
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
        parser = build_parser()
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
