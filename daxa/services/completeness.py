"""Is a body whole? Checks of each document's own end, for answers sent without a length.

A body sent without ``Content-Length`` (chunked, or ended by closing the connection) and cut
short looks like a complete answer to HTTP. Each kind of document has its own end to check:
a VOTable closes ``</VOTABLE>``, other XML its root element (Sesame), an HTML page ``</html>``, a FITS file is whole 2880-byte
blocks whose headers say how much data follows, a CSV table ends with a newline (and has the
number of rows the caller expects, when it knows one; a list that ends without a newline must
at least end with a row as wide as its header). Every function returns ``None`` for a
whole document or a short sentence saying what is missing; none does any I/O (FITS reads
through a callable), so the same checks serve table fetches and downloads.

>>> votable_problem(b"...</TABLE></RESOURCE></VOTABLE>\\n<!-- served by x -->\\n") is None
True
>>> votable_problem(b"<TR><TD>1</TD></TR>")
'the VOTable does not end with </VOTABLE>'
>>> csv_problem(b"a,b\\n1,2\\n3,4\\n", expected_rows=3)
'2 rows where 3 were expected'
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable

#: How much of the end of a body the closing-tag checks look at.
TAIL = 4096
BLOCK = 2880
_CARD = 80

_COMMENTS = re.compile(rb"<!--.*?-->", re.DOTALL)
_PROLOG = re.compile(rb"<\?.*?\?>|<!DOCTYPE[^>]*>", re.DOTALL | re.IGNORECASE)
_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_VALUE = re.compile(rb"^([A-Z0-9_-]{1,8})\s*=\s*([-+]?\d+)")

Reader = Callable[[int, int], bytes]


def _ends_with_tag(tail: bytes, tag: bytes) -> bool:
    rest = _COMMENTS.sub(b"", tail).rstrip()
    return rest.lower().endswith(tag)


def votable_problem(tail: bytes) -> str | None:
    """Whether a VOTable's last bytes close the document (whitespace and comments may follow)."""
    return (
        None if _ends_with_tag(tail, b"</votable>") else "the VOTable does not end with </VOTABLE>"
    )


def xml_problem(head: bytes, tail: bytes) -> str | None:
    """Whether an XML document's last bytes close the root element its first bytes open
    (Sesame's answers; VOTables with a namespace prefix)."""
    root = _ROOT.search(_COMMENTS.sub(b"", _PROLOG.sub(b"", head)))
    if root is None:
        return "the XML document ends before its root element starts"
    name = root.group(1)
    if _ends_with_tag(tail, b"</" + name.lower() + b">"):
        return None
    return f"the XML document does not end with </{name.decode(errors='replace')}>"


def html_problem(tail: bytes) -> str | None:
    """Whether an HTML page's last bytes close it with ``</html>`` (case-insensitive)."""
    return None if _ends_with_tag(tail, b"</html>") else "the HTML page does not end with </html>"


def _fields(line: bytes) -> int:
    row = next(csv.reader([line.decode("utf-8", errors="replace")]), [])
    return len(row)


def csv_problem(
    body: bytes, *, rows: int | None = None, expected_rows: int | None = None
) -> str | None:
    """Whether a CSV body looks whole: it ends with a newline, or (some lists end without one)
    its last line has as many fields as the header; with ``expected_rows``, whether the data
    rows (``rows``, else counted as non-empty lines after the header) are that many.

    ``body`` may be the end of a large body only, when no row count is wanted and the header
    is given as its first line.
    """
    if body and not body.endswith((b"\n", b"\r")):
        lines = body.splitlines()
        if len(lines) < 2 or _fields(lines[-1]) != _fields(lines[0]):
            return "the CSV table does not end with a newline and its last row is short"
    if expected_rows is not None:
        if rows is None:
            rows = max(0, sum(1 for line in body.splitlines() if line.strip()) - 1)
        if rows != expected_rows:
            return f"{rows} rows where {expected_rows} were expected"
    return None


def _header(read: Reader, start: int, size: int) -> tuple[dict[bytes, int], int] | str:
    """The integer keywords of the header starting at ``start`` and the header's length."""
    values: dict[bytes, int] = {}
    offset = start
    while offset + BLOCK <= size:
        block = read(offset, BLOCK)
        if len(block) < BLOCK:
            break
        offset += BLOCK
        for i in range(0, BLOCK, _CARD):
            card = block[i : i + _CARD]
            if card.startswith(b"END") and not card[3:].strip():
                return values, offset - start
            match = _VALUE.match(card)
            if match:
                values[match.group(1)] = int(match.group(2))
    return f"a FITS header at byte {start} has no END card before the file ends"


def _data_size(values: dict[bytes, int]) -> int:
    naxis = values.get(b"NAXIS", 0)
    if naxis == 0:
        return 0
    product = 1
    for axis in range(1, naxis + 1):
        product *= values.get(b"NAXIS%d" % axis, 0)
    if values.get(b"NAXIS1") == 0 and values.get(b"GROUPS"):  # random groups
        product = 1
        for axis in range(2, naxis + 1):
            product *= values.get(b"NAXIS%d" % axis, 0)
    bits = abs(values.get(b"BITPIX", 8))
    count = values.get(b"GCOUNT", 1)
    extra = values.get(b"PCOUNT", 0)
    raw = bits // 8 * count * (extra + product)
    return -(-raw // BLOCK) * BLOCK


def fits_problem(read: Reader, size: int, *, max_hdus: int = 10_000) -> str | None:
    """Whether a FITS file of ``size`` bytes is whole: 2880-byte blocks, every header closed
    by ``END``, and the data each header announces (``NAXIS*``, ``BITPIX``, ``PCOUNT``,
    ``GCOUNT``) all present. ``read(offset, n)`` gives ``n`` bytes at ``offset``."""
    if size == 0:
        return "the FITS file is empty"
    if size % BLOCK:
        return f"the FITS file is {size} bytes, not a whole number of 2880-byte blocks"
    offset = 0
    for _ in range(max_hdus):
        found = _header(read, offset, size)
        if isinstance(found, str):
            return found
        values, length = found
        end = offset + length + _data_size(values)
        if end > size:
            return f"the FITS file ends at byte {size}, before its data do (byte {end})"
        offset = end
        if offset == size or not read(offset, 8).startswith(b"XTENSION"):
            return None  # trailing blocks that are not an extension are allowed (special records)
    return None


def fits_bytes_problem(body: bytes) -> str | None:
    """:func:`fits_problem` for a body held in memory."""
    return fits_problem(lambda offset, n: body[offset : offset + n], len(body))


def kind_of(content_type: str, head: bytes, name: str = "") -> str | None:
    """Which check fits a body: ``"fits"``, ``"votable"``, ``"html"``, ``"xml"``, ``"csv"`` or
    ``None``.

    >>> kind_of("application/x-votable+xml", b'<?xml version="1.0"?><VOTABLE')
    'votable'
    >>> kind_of("application/octet-stream", b"SIMPLE  =                    T")
    'fits'
    """
    stripped = head.lstrip().lower()
    path = name.lower().split("?", 1)[0]
    if head.startswith(b"SIMPLE  =") or path.endswith((".fits", ".fit", ".fts")):
        return "fits"
    if stripped.startswith((b"<!doctype html", b"<html")) or content_type in (
        "text/html",
        "application/xhtml+xml",
    ):
        return "html"
    if b"<votable" in stripped or "votable" in content_type:
        return "votable"
    if stripped.startswith(b"<") or content_type in ("text/xml", "application/xml"):
        return "xml"
    if content_type == "text/csv" or name.lower().endswith(".csv"):
        return "csv"
    return None


def problem(
    kind: str | None,
    read: Reader,
    size: int,
    *,
    expected_rows: int | None = None,
) -> str | None:
    """The check of ``kind`` on a body of ``size`` bytes read through ``read``."""
    if kind == "fits":
        return fits_problem(read, size)
    tail = read(max(0, size - TAIL), min(size, TAIL))
    if kind == "votable":
        return votable_problem(tail)
    if kind == "xml":
        return xml_problem(read(0, min(size, TAIL)), tail)
    if kind == "html":
        return html_problem(tail)
    if kind == "csv":
        if expected_rows is not None or size <= TAIL:
            return csv_problem(read(0, size), expected_rows=expected_rows)
        first = read(0, TAIL).split(b"\n", 1)[0]
        return csv_problem(first + b"\n" + tail.split(b"\n", 1)[-1])
    return None
