"""What a TAP service answered: its rows as a polars DataFrame, or its own error message.

The error message comes out of the document whatever its style (:mod:`daxa.services.errordocs`)
and whatever the HTTP status; the rows come from the fast BINARY/BINARY2 reader, the TABLEDATA
reader, or astropy for anything else (the FITS serialisation).
"""

from __future__ import annotations

import io
import struct
import warnings
import xml.etree.ElementTree as ET
from typing import IO

import polars as pl

from daxa.errors import ServiceError
from daxa.frames import astropy_table_to_polars
from daxa.services.errordocs import clean, damaged_error_message, error_message_of
from daxa.services.http import Response
from daxa.services.tabledata import Irregular, read_tabledata, split_tabledata
from daxa.services.vofields import BadField, local
from daxa.services.votable import Unsupported, read_binary_table


def parse_answer(
    answer: Response, body: IO[bytes], *, service: str, table: str | None
) -> pl.DataFrame:
    """The rows of a TAP answer (VOTable in any serialisation, or CSV).

    Raises :class:`~daxa.errors.ServiceError` with the service's own message for an error
    document (whatever the HTTP status), and a clear one for an HTML page or a damaged body.
    """
    where = {"service": service, "table": table, "url": answer.url}
    head = body.read(4096)
    body.seek(0)
    stripped = head.lstrip().lower()
    http = f"HTTP {answer.status}: " if answer.status >= 400 else ""
    if stripped.startswith((b"<!doctype html", b"<html")) or answer.content_type == "text/html":
        raise ServiceError(
            f"answered with an HTML page (HTTP {answer.status}) where data was expected; the "
            "service may be down or behind a proxy",
            **where,
        )
    if not stripped:
        raise ServiceError(
            f"answered with an empty body (HTTP {answer.status}); try again later", **where
        )
    if not stripped.startswith(b"<"):
        said = clean(head[:300].decode(errors="replace"))
        if "json" in answer.content_type:
            raise ServiceError(
                f"{http}answered with JSON where a table was expected: {said}", **where
            )
        if answer.status >= 400:
            raise ServiceError(f"{http}{said}", **where)
        return read_csv(body, **where)
    return parse_votable(body.read(), status=answer.status, **where)


def read_csv(body: IO[bytes], **where: str | None) -> pl.DataFrame:
    """A CSV answer (ESAC TAP+ offers one): types from every row, empty fields null."""
    try:
        return pl.read_csv(body, infer_schema_length=None)
    except Exception as exc:  # polars raises several types for a damaged file
        raise ServiceError(f"answer is not a readable CSV table ({exc})", **where) from None


def parse_votable(data: bytes, *, status: int = 200, **where: str | None) -> pl.DataFrame:
    """The first table of a VOTable document, or the error the document reports."""
    http = f"HTTP {status}: " if status >= 400 else ""
    split = split_tabledata(data)
    try:
        root = ET.fromstring(split[0] if split else data)
    except ET.ParseError as exc:
        message = damaged_error_message(data)
        if message is not None:
            raise ServiceError(f"{http}query failed: {message or 'no message'}", **where) from None
        if status >= 400:
            raise ServiceError(
                f"{http}{clean(data[:300].decode(errors='replace'))}", **where
            ) from None
        raise ServiceError(
            f"answer is not a readable VOTable ({exc}); it may have been truncated", **where
        ) from None
    message = error_message_of(root)
    if message is not None:
        raise ServiceError(f"{http}query failed: {message or 'no message'}", **where)
    if status >= 400:
        text = clean(" ".join(root.itertext()))[:300]
        raise ServiceError(f"{http}{text or 'no message'}", **where)
    table = _first_table(root)
    if table is None:
        raise ServiceError("answer holds no table", **where)
    try:
        return read_binary_table(table)
    except (Unsupported, ValueError, struct.error):
        pass
    try:
        rows = read_tabledata(table, split[1] if split else None)
    except Irregular:  # uneven rows: the tree pads them
        whole = _first_table(ET.fromstring(data))
        rows = read_tabledata(whole) if whole is not None else None
    except BadField:
        rows = None
    if rows is not None:
        return rows
    return _astropy(data, **where)  # FITS serialisation and anything else


def _first_table(root: ET.Element) -> ET.Element | None:
    return next((el for el in root.iter() if local(el.tag) == "TABLE"), None)


def _astropy(data: bytes, **where: str | None) -> pl.DataFrame:
    from astropy.io import votable

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = votable.parse(io.BytesIO(data), verify="ignore")
            tables = list(parsed.iter_tables())
    except Exception as exc:  # astropy raises many types on a damaged document
        raise ServiceError(
            f"answer is not a readable VOTable ({type(exc).__name__}: {str(exc)[:200]}); it may "
            "have been truncated",
            **where,  # type: ignore[arg-type]
        ) from None
    if not tables:
        raise ServiceError("answer holds no table", **where)  # type: ignore[arg-type]
    return astropy_table_to_polars(tables[0].to_table(use_names_over_ids=True))
