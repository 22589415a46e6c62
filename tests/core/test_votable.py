"""The VOTable readers (BINARY/BINARY2 and TABLEDATA) against astropy's writer and reader."""

from __future__ import annotations

import io
import warnings
from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest
from astropy.io.votable import from_table, parse
from astropy.table import MaskedColumn, Table

from daxa.frames import astropy_table_to_polars
from daxa.services.votable import Unsupported, read_binary_votable


def astropy_document(fmt: str, n: int = 500) -> bytes:
    rng = np.random.default_rng(4)
    table = Table()
    table["obsid"] = np.array([f"{i:011d}" for i in range(n)], dtype="S11")
    table["name"] = np.array([("SN 2023ock" if i % 3 else "") for i in range(n)], dtype="S10")
    notes = [("Ωmega Cen 😀" if i % 4 == 1 else ("M87" if i % 4 else "")) for i in range(n)]
    table["note"] = np.array(notes, dtype="U20")
    table["ra"] = rng.uniform(0, 360, n)
    table["exposure"] = MaskedColumn(
        rng.uniform(0, 1e5, n).astype(np.float32), mask=rng.random(n) < 0.1
    )
    table["count"] = MaskedColumn(rng.integers(-5, 5, n).astype(np.int32), mask=rng.random(n) < 0.2)
    table["big"] = rng.integers(0, 2**40, n).astype(np.int64)
    table["flag"] = rng.random(n) < 0.5
    votable = from_table(table)
    fields = votable.get_first_table().fields
    fields[1].arraysize = "*"  # one fixed-width string (obsid), one variable (name)
    fields[2].arraysize = "*"  # variable-length unicodeChar (non-ASCII text, a surrogate pair)
    fields[7].datatype = "boolean"  # as HEASARC writes flags
    fields[5].values.null = -999  # BINARY has no null flags: integers need a null value
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        votable.to_xml(out, tabledata_format=fmt)
    return out.getvalue()


def astropy_read(document: bytes) -> pl.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = parse(io.BytesIO(document), verify="ignore").get_first_table().to_table()
    return astropy_table_to_polars(table)


@pytest.mark.parametrize("fmt", ["binary", "binary2"])
def test_matches_astropy_reading_of_astropy_writing(fmt):
    document = astropy_document(fmt)
    ours = read_binary_votable(document)
    theirs = astropy_read(document)
    assert ours.columns == theirs.columns
    for name in ours.columns:
        expected = theirs[name]
        if expected.dtype == pl.String:  # empty text is null in every serialisation
            expected = expected.set(expected == "", None)  # type: ignore[arg-type]
        assert ours[name].equals(expected, null_equal=True), name
    assert ours["exposure"].null_count() == theirs["exposure"].null_count() > 0
    assert ours["obsid"][7] == "00000000007"
    assert ours["note"][1] == "Ωmega Cen 😀" and ours["note"][2] == "M87"


def test_tabledata_is_not_for_the_binary_reader():
    with pytest.raises(Unsupported):
        read_binary_votable(astropy_document("tabledata"))


def test_empty_table():
    document = astropy_document("binary", n=0)
    assert read_binary_votable(document).height == 0


def arrays_document(fmt: str) -> bytes:
    """A table with a VALUES null on a double, fixed 1-D and 2-D arrays, a variable-length
    array, a bit and short text, written by astropy in serialisation ``fmt``."""
    n = 7
    rng = np.random.default_rng(3)
    table = Table()
    table["x"] = MaskedColumn(rng.normal(size=n), mask=[i % 3 == 0 for i in range(n)])
    table["vec"] = rng.integers(0, 100, (n, 3)).astype(np.int16)
    table["mat"] = rng.normal(size=(n, 2, 2))
    table["var"] = np.array(
        [np.ma.array(rng.normal(size=i + 1), mask=np.zeros(i + 1, bool)) for i in range(n)],
        dtype=object,
    )
    table["flag"] = rng.random(n) < 0.5
    table["txt"] = ["a", "bb", "ccc", "d", "e", "f", "g"]
    table["when"] = [f"2025-01-1{i}T15:49:43.00{i}" for i in range(n - 1)] + [""]
    votable = from_table(table)
    fields = votable.get_first_table().fields
    fields[0].values.null = -999.0
    fields[3].arraysize = "*"
    fields[6].xtype = "timestamp"
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        votable.to_xml(out, tabledata_format=fmt)
    return out.getvalue()


def test_arrays_and_null_values_read_alike_in_every_serialisation():
    from daxa.services.answers import parse_votable

    frames = {
        fmt: parse_votable(arrays_document(fmt)) for fmt in ("tabledata", "binary", "binary2")
    }
    reference = frames["tabledata"]
    for fmt, frame in frames.items():
        assert frame.equals(reference), fmt
    theirs = astropy_read(arrays_document("binary2"))
    assert reference["x"].null_count() == 3  # VALUES null / masks, never -999
    assert reference["vec"].to_list() == theirs["vec"].to_list()
    assert reference["mat"].to_list() == [sum(m, []) for m in theirs["mat"].to_list()]
    assert reference["var"].list.len().to_list() == list(range(1, 8))
    assert reference["flag"].dtype == pl.Boolean and reference["flag"].null_count() == 0
    assert reference["when"].to_list() == [
        datetime(2025, 1, 10 + i, 15, 49, 43, 1000 * i, tzinfo=UTC) for i in range(6)
    ] + [None]


def tabledata_document(rows: str, prefix: str = "") -> bytes:
    p = f"{prefix}:" if prefix else ""
    ns = f' xmlns:{prefix}="http://www.ivoa.net/xml/VOTable/v1.3"' if prefix else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><{p}VOTABLE version="1.4"{ns}><{p}RESOURCE>'
        f'<{p}TABLE><{p}FIELD name="id" datatype="long"/>'
        f'<{p}FIELD name="name" datatype="char" arraysize="*"/>'
        f'<{p}FIELD name="ok" datatype="boolean"/>'
        f"<{p}DATA><{p}TABLEDATA>{rows}</{p}TABLEDATA></{p}DATA></{p}TABLE></{p}RESOURCE>"
        f"</{p}VOTABLE>"
    ).encode()


def tree_reading(document: bytes) -> pl.DataFrame:
    import xml.etree.ElementTree as ET

    from daxa.services.tabledata import read_tabledata

    table = next(el for el in ET.fromstring(document).iter() if el.tag.split("}")[-1] == "TABLE")
    frame = read_tabledata(table)
    assert frame is not None
    return frame


@pytest.mark.parametrize("prefix", ["", "vot"])
@pytest.mark.parametrize(
    "rows",
    [
        "<TR><TD>9007199254740993</TD><TD>a &lt;b&gt; &amp; &#233;</TD><TD>?</TD></TR>"
        "<TR><TD/><TD></TD><TD>true</TD></TR>\n<TR>\n <TD> 7 </TD> <TD>x</TD> <TD>F</TD>\n</TR>",
        "<TR><TD>1</TD><TD>short row</TD></TR><TR><TD>2</TD><TD>b</TD><TD>T</TD></TR>",
        "<TR><TD>3</TD><TD><![CDATA[<raw> & text]]></TD><TD>1</TD></TR>",
    ],
)
def test_cells_read_from_the_bytes_match_the_xml_tree(rows, prefix):
    from daxa.services.answers import parse_votable

    p = f"{prefix}:" if prefix else ""
    document = tabledata_document(rows.replace("<T", f"<{p}T").replace("</T", f"</{p}T"), prefix)
    ours, tree = parse_votable(document), tree_reading(document)
    assert ours.equals(tree)
    assert ours.schema == {"id": pl.Int64, "name": pl.String, "ok": pl.Boolean}
    if "9007199254740993" in rows:  # 2**53 + 1: not a float64
        assert ours.row(0) == (9007199254740993, "a <b> & é", None)
        assert ours.row(1) == (None, None, True) and ours.row(2) == (7, "x", False)
    if "short row" in rows:
        assert ours.row(0) == (1, "short row", None)
    if "CDATA" in rows:
        assert ours.row(0) == (3, "<raw> & text", True)


def test_values_null_inside_integer_arrays():
    from daxa.services.answers import parse_votable

    document = (
        b'<VOTABLE version="1.4"><RESOURCE><TABLE>'
        b'<FIELD name="a" datatype="int" arraysize="*"><VALUES null="-1"/></FIELD>'
        b'<FIELD name="b" datatype="short"><VALUES null="-1"/></FIELD><DATA><TABLEDATA>'
        b"<TR><TD>1 -1 3</TD><TD>-1</TD></TR><TR><TD></TD><TD>0x10</TD></TR>"
        b"</TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>"
    )
    frame = parse_votable(document)
    assert frame["a"].to_list() == [[1, None, 3], None]
    assert frame["b"].to_list() == [None, 16] and frame["b"].dtype == pl.Int16


def test_every_emulated_mission_table_reads_alike_in_binary_and_tabledata():
    import requests

    from daxa.missions.registry import MISSIONS
    from daxa.services.answers import parse_votable
    from daxa.testing import emulated_archives

    with emulated_archives(sizes="small") as emu:
        for mission in MISSIONS.values():
            source = mission.source
            if source.kind == "erosita_list":
                continue
            frames = []
            for fmt in ("votable", "votable/td"):
                answer = requests.post(
                    emu.service_url(source.kind) + "/sync",
                    data={
                        "REQUEST": "doQuery",
                        "LANG": "ADQL",
                        "QUERY": f"SELECT TOP 200 * FROM {source.table}",
                        "RESPONSEFORMAT": fmt,
                    },
                    timeout=60,
                )
                assert answer.status_code == 200, answer.text[:200]
                frames.append(parse_votable(answer.content))
            binary, tabledata = frames
            assert binary.height > 0, mission.name
            assert binary.equals(tabledata, null_equal=True), mission.name
