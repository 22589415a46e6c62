"""Listing pages: the real eRODat pages, Apache indexes, and hostile entries."""

from __future__ import annotations

import pytest

from daxa.download.listing import files, folders, parse_listing
from daxa.errors import DownloadError
from daxa.testing import shared_data_dir
from daxa.testing.files.pages import apache_listing, erodat_listing

SHARED = shared_data_dir()
ERODAT = SHARED / "responses" / "erodat" if SHARED is not None else None
needs_erodat = pytest.mark.skipif(
    ERODAT is None or not (ERODAT / "134135.html").is_file(), reason="shared eRODat pages absent"
)
TILE = "https://erosita.mpe.mpg.de/dr1/erodat/data/download/135/134/"


def read(name: str) -> str:
    assert ERODAT is not None
    return (ERODAT / name).read_text(encoding="utf-8")


@needs_erodat
def test_real_tile_page() -> None:
    entries = parse_listing(read("134135.html"), TILE)
    assert folders(entries) == ["DET_010", "EXP_010", "SOU_010", "UPP_010"]
    assert files(entries) == []  # the navigation bar's links are not entries


@needs_erodat
def test_real_tile_page_without_det() -> None:
    assert folders(parse_listing(read("134135_no_dir.html"), TILE)) == [
        "EXP_010",
        "SOU_010",
        "UPP_010",
    ]


@needs_erodat
def test_real_exp_page_sizes_are_exact() -> None:
    entries = parse_listing(read("134135_exp.html"), TILE + "EXP_010/")
    assert len(entries) == 8
    first = entries[0]
    assert first.name == "em01_134135_020_EventList_c010.fits.gz"
    assert (first.size, first.size_exact, first.modified) == (53391851, True, "2022-11-17 05:11:25")
    assert [e.name.split("_")[2:4] for e in entries[1:]] == [
        [f"02{b}", "Image"] for b in range(1, 8)
    ]
    assert entries[-1].size == 10887415


@needs_erodat
def test_real_det_page() -> None:
    entries = parse_listing(read("134135_det.html"))
    names = [e.name for e in entries]
    assert len(names) == 19
    assert sum("_ExposureMap_" in n for n in names) == 7
    assert sum("_BackgrImage_" in n for n in names) == 4
    assert entries[0].size == 4321 and all(e.size_exact for e in entries)


def test_apache_pre_listing() -> None:
    page = apache_listing(
        "/FTP/chandra/data/byobsid/4/1234/",
        [("oif.fits", 40960), ("primary/", None), ("acisf01234N004_full_img2.fits.gz", 1_300_000)],
    )
    entries = parse_listing(page, "https://heasarc.gsfc.nasa.gov/FTP/chandra/data/byobsid/4/1234/")
    assert [(e.name, e.is_dir) for e in entries] == [
        ("oif.fits", False),
        ("primary", True),
        ("acisf01234N004_full_img2.fits.gz", False),  # the link text is cut, the href is not
    ]
    assert entries[0].size == 40 * 1024 and not entries[0].size_exact
    assert entries[2].size == round(1.2 * 1024**2)


def test_apache_table_listing() -> None:
    page = """<html><body><h1>Index of /FTP/x/</h1><table>
<tr><th><a href="?C=N;O=D">Name</a></th><th><a href="?C=S;O=A">Size</a></th></tr>
<tr><td><a href="/FTP/">Parent Directory</a></td><td>-</td></tr>
<tr><td><img src="/icons/unknown.gif"></td><td><a href="a.evt.gz">a.evt.gz</a></td>
<td align="right">2021-03-05 16:46  </td><td align="right">512</td></tr>
<tr><td><a href="hk/">hk/</a></td><td>2021-03-05 16:46</td><td>-</td></tr>
</table></body></html>"""
    entries = parse_listing(page, "https://h/FTP/x/")
    assert [(e.name, e.is_dir, e.size, e.size_exact) for e in entries] == [
        ("a.evt.gz", False, 512, True),
        ("hk", True, None, False),
    ]


def test_absolute_link_to_own_folder_accepted() -> None:
    page = '<pre><a href="/FTP/x/b.fits">b.fits</a>  2021-03-05 16:46  1K\n</pre>'
    assert [e.name for e in parse_listing(page, "https://h/FTP/x/")] == ["b.fits"]


@pytest.mark.parametrize(
    "href",
    [
        "../../etc/passwd",
        "../sibling.fits",
        "/etc/passwd",
        "https://evil.example.org/x.fits",
        "sub/../../x.fits",
        "a%2F..%2F..%2Fx",
        "..%5C..%5Cx",
    ],
)
def test_hostile_entries_refuse_the_listing(href: str) -> None:
    page = apache_listing("/FTP/x/", [("ok.fits", 10)], extra_hrefs=[href])
    with pytest.raises(DownloadError, match="refused the listing"):
        parse_listing(page, "https://h/FTP/x/")


def test_hostile_erodat_entry() -> None:
    page = erodat_listing(
        ["135", "134", "EXP_010"], [("a_EventList_.fits.gz", 5)], extra_hrefs=["/etc/shadow"]
    )
    with pytest.raises(DownloadError, match="'/etc/shadow'"):
        parse_listing(page, TILE + "EXP_010/")


def test_generated_erodat_page_has_the_real_shape() -> None:
    page = erodat_listing(["048", "117"], [("DET_010/", None), ("EXP_010/", None)])
    entries = parse_listing(page, "https://h/dr1/erodat/data/download/048/117/")
    assert folders(entries) == ["DET_010", "EXP_010"]
    assert 'class="isdir"' in page and '<table id="files"' in page


def test_empty_and_duplicate_entries() -> None:
    assert parse_listing("<html><body>No files</body></html>") == []
    page = '<pre><a href="a.fits">a.fits</a> 1K\n<a href="a.fits">a.fits</a> 1K\n</pre>'
    assert [e.name for e in parse_listing(page, "https://h/x/")] == ["a.fits"]


def test_entries_are_plain_names() -> None:
    """Listings hold names only: nothing a parser returns can hold a slash."""
    page = apache_listing("/x/", [("a.fits", 1), ("d/", None)])
    assert all("/" not in e.name for e in parse_listing(page, "https://h/x/"))
