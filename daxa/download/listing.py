"""Parse directory-listing pages: Apache ``mod_autoindex`` (HEASARC) and eRODat (eROSITA DR1).

Only the listing itself is read: for eRODat the rows of the ``files`` table, for Apache the
rows of the index table, the lines of its ``<pre>`` block or the items of its list. Sorting
links (``?C=N;O=D``) and the parent-directory link are navigation and are skipped. Any other
entry must be a plain name in the listed folder; an entry such as ``../../etc/passwd``, an
absolute path elsewhere or a link to another host makes the whole listing **refused**
(:class:`~daxa.errors.DownloadError`), because a server that lists it is not to be trusted.

Sizes: eRODat gives bytes (``size_exact``); Apache rounds (``40K``, ``1.2M``), so those sizes
are only indicative and the transfer checks ``Content-Length`` instead.

>>> page = '''<pre><a href="?C=N;O=D">Name</a>
... <a href="/FTP/chandra/data/byobsid/4/">Parent Directory</a>        -
... <a href="oif.fits">oif.fits</a>     2021-03-05 16:46   40K
... <a href="primary/">primary/</a>     2021-03-05 16:46    -
... </pre>'''
>>> [(e.name, e.is_dir, e.size) for e in parse_listing(page, "https://h/FTP/chandra/data/byobsid/4/1234/")]
[('oif.fits', False, 40960), ('primary', True, None)]
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from html.parser import HTMLParser

from daxa.errors import DownloadError

_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$", re.IGNORECASE)
_DATE = re.compile(
    r"(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?|\d{2}-[A-Za-z]{3}-\d{4} \d{2}:\d{2}(?::\d{2})?)"
)
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


@dataclass(frozen=True)
class ListingEntry:
    """One file or folder of a listing."""

    name: str
    is_dir: bool
    size: int | None = None
    size_exact: bool = False
    modified: str | None = None


@dataclass
class _Link:
    href: str
    text: str
    context: str  # "files-table", "table", "pre", "list"
    row: int  # which row/line, to collect the cells that follow
    row_class: str = ""


class _Collector(HTMLParser):
    """Collect links with the listing context they appear in, and the text of their rows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[_Link] = []
        self.row_cells: dict[int, list[str]] = {}
        self.has_files_table = False
        self._table_ids: list[str] = []
        self._in_pre = 0
        self._in_li = 0
        self._row = 0
        self._row_class = ""
        self._in_row = False
        self._link: _Link | None = None
        self._pre_line = 0

    # -- structure -------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: (v or "") for k, v in attrs}
        if tag == "table":
            self._table_ids.append(attr.get("id", ""))
            if attr.get("id") == "files":
                self.has_files_table = True
        elif tag == "tr":
            self._row += 1
            self._in_row = True
            self._row_class = attr.get("class", "")
            self.row_cells[self._row] = []
        elif tag in ("td", "th") and self._in_row:
            self.row_cells.setdefault(self._row, []).append("")
        elif tag == "pre":
            self._in_pre += 1
            self._row += 1
            self._pre_line = self._row
            self.row_cells[self._row] = [""]
        elif tag == "li":
            self._in_li += 1
        elif tag == "a" and "href" in attr:
            self._link = _Link(attr["href"], "", self._context(), self._row, self._row_class)
            self.links.append(self._link)

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._table_ids:
            self._table_ids.pop()
        elif tag == "tr":
            self._in_row = False
        elif tag == "pre" and self._in_pre:
            self._in_pre -= 1
        elif tag == "li" and self._in_li:
            self._in_li -= 1
        elif tag == "a":
            self._link = None

    def handle_data(self, data: str) -> None:
        if self._link is not None:
            self._link.text += data
            return
        if self._in_pre:
            lines = data.split("\n")
            self.row_cells[self._row][-1] += lines[0]
            for line in lines[1:]:
                self._row += 1
                self.row_cells[self._row] = [line]
        elif self._in_row and self.row_cells.get(self._row):
            self.row_cells[self._row][-1] += data

    def _context(self) -> str:
        if self._table_ids and self._table_ids[-1] == "files":
            return "files-table"
        if self._in_pre:
            return "pre"
        if self._table_ids and self._in_row:
            return "table"
        if self._in_li:
            return "list"
        return "other"


def _parse_size(cells: list[str]) -> tuple[int | None, bool]:
    for cell in cells:
        text = cell.strip()
        if not text:
            continue
        for token in _DATE.sub(" ", text).split():
            match = _SIZE.match(token)
            if match:
                number, unit = match.groups()
                unit = unit.upper()
                exact = unit == "" and "." not in number
                return int(round(float(number) * _UNITS[unit])), exact
    return None, False


def _parse_date(cells: list[str]) -> str | None:
    for cell in cells:
        match = _DATE.search(cell)
        if match:
            return match.group(1)
    return None


def _is_navigation(link: _Link, base_path: str | None) -> bool:
    href = link.href.strip()
    text = link.text.strip().lower()
    if not href or href.startswith(("?", "#")):
        return True
    if text.startswith("parent directory") or href in ("../", "./", ".", ".."):
        return True
    if base_path is not None:
        target = urllib.parse.urlsplit(urllib.parse.urljoin(base_path, href)).path
        if base_path.startswith(target) and target.endswith("/"):
            return True  # an ancestor of (or the same as) the listed folder
    return False


def _entry_name(link: _Link, base_url: str | None, page: str) -> tuple[str, bool]:
    """The plain name a listing link stands for, or DownloadError when it points elsewhere."""
    raw = link.href.strip()
    parts = urllib.parse.urlsplit(raw)
    href = urllib.parse.unquote(parts.path)
    refused = DownloadError(
        f"refused the listing {page}: entry {link.href!r} points outside the listed folder "
        "(absolute path, '..' or another host); the listing may be hostile"
    )
    if parts.query or parts.fragment:
        raise refused
    if parts.scheme or parts.netloc or href.startswith("/"):
        if base_url is None:
            raise refused
        base = urllib.parse.urlsplit(base_url)
        if (parts.scheme or parts.netloc) and (parts.scheme, parts.netloc) != (
            base.scheme,
            base.netloc,
        ):
            raise refused
        folder = urllib.parse.unquote(base.path)
        if not folder.endswith("/"):
            folder += "/"
        if not href.startswith(folder):
            raise refused
        href = href[len(folder) :]
    is_dir = href.endswith("/")
    name = href.rstrip("/") if is_dir else href
    if (
        not name
        or "/" in name
        or "\\" in name
        or "\x00" in name
        or name in (".", "..")
        or (len(name) > 1 and name[1] == ":")
    ):
        raise refused
    return name, is_dir


def parse_listing(html: str, base_url: str | None = None) -> list[ListingEntry]:
    """The entries of a directory-listing page, in page order, without navigation links.

    ``base_url`` (the URL the page was fetched from) lets absolute links to the folder's own
    files be accepted and the parent link be recognised; it is also named in errors.
    """
    collector = _Collector()
    collector.feed(html)
    collector.close()
    base_path = urllib.parse.urlsplit(base_url).path if base_url else None
    if base_path is not None and not base_path.endswith("/"):
        base_path += "/"
    page = base_url or "(page)"
    wanted = {"files-table"} if collector.has_files_table else {"pre", "table", "list"}
    entries: list[ListingEntry] = []
    seen: set[str] = set()
    for link in collector.links:
        if link.context not in wanted or _is_navigation(link, base_path):
            continue
        name, is_dir = _entry_name(link, base_url, page)
        if "isdir" in link.row_class.split():
            is_dir = True
        if name in seen:
            continue
        seen.add(name)
        cells = collector.row_cells.get(link.row, [])
        after = _cells_after_link(cells, link)
        size, exact = (None, False) if is_dir else _parse_size(after)
        entries.append(ListingEntry(name, is_dir, size, exact, _parse_date(after)))
    return entries


def _cells_after_link(cells: list[str], link: _Link) -> list[str]:
    """Text of the row after the link (the name cell's own text is the link text)."""
    text = link.text.strip()
    for i, cell in enumerate(cells):
        if text and text in cell:
            rest = cell.split(text, 1)[1]
            return [rest, *cells[i + 1 :]]
    # Table rows: the link text is not part of the cells (collected separately).
    return cells


def files(entries: list[ListingEntry]) -> list[ListingEntry]:
    """Only the files of a listing."""
    return [e for e in entries if not e.is_dir]


def folders(entries: list[ListingEntry]) -> list[str]:
    """Only the folder names of a listing."""
    return [e.name for e in entries if e.is_dir]
