"""Saved selections as untrusted input: every damaged file is a SelectionError naming the field,
and saving is atomic (a failed write leaves the old file and nothing else)."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from typing import Any

import astropy.units as u
import numpy as np
import pandas as pd
import pytest
from astropy.coordinates import SkyCoord
from astropy.time import Time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daxa import saved_selection
from daxa.errors import SelectionError
from daxa.filters import Names
from daxa.filters._params import _DECODERS, TAG
from daxa.selection import Selection
from tests._swift_rows import swift_table

TABLE = swift_table()


def saved_document() -> dict[str, Any]:
    """A saved selection using every parameter family (Names with its resolved positions)."""
    when = np.array(["2015-01-01T00:00", "2015-01-11T00:00"], dtype="datetime64[s]")
    sel = (
        Selection("swift", TABLE)
        .filter_on_positions(
            SkyCoord(l=[96.34], b=[-62.31], unit="deg", frame="galactic"), 3 * u.deg
        )
        .filter_on_positions(pd.DataFrame({"ra": [10.0, 50.0], "dec": [0.0, 20.0]}), [1.0, 2.0])
        .filter_on_time(Time("2014-12-31T00:00:00"), datetime(2015, 6, 1, tzinfo=UTC))
        .filter_on_positions_at_time(
            [[10.0, 0.0], [10.05, 0.0]], when, when + np.timedelta64(1, "D")
        )
        .filter_on_obs_ids(["00000000000", "00000000001"])
        .filter_on_rect_region(5.0, 60.0, -10.0, 30.0)
        .where(Names(["M 87"], 2.0, resolved={"M 87": [187.70593, 12.39112]}))
        .filter_on_usable()
    )
    return json.loads(json.dumps(sel.to_dict()))


DOCUMENT = saved_document()


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node[:4]):
            out += _paths(v, (*prefix, i))
    return out


PATHS = [p for p in _paths(DOCUMENT) if p]

json_leaves = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(
        [*_DECODERS, "<U999999999", "<U100000000", "O", "deg", "galactic", "1e400", "-1"]
    )
)
json_values = st.recursive(
    json_leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from([TAG, "dtype", "shape", "data", "value", "unit", "items", "name"])
            | st.text(max_size=6),
            inner,
            max_size=4,
        )
    ),
    max_leaves=10,
)


def _mutate(doc: dict[str, Any], path: tuple[Any, ...], how: str, value: Any) -> None:
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if how == "delete":
        del parent[key]
    elif how == "wrap":
        parent[key] = [parent[key]]
    else:
        parent[key] = value


def _load_or_refuse(doc: Any) -> None:
    try:
        sel = Selection.from_dict(doc, TABLE, source="fuzzed.json")
    except SelectionError as exc:
        assert "fuzzed.json" in str(exc) or "saved" in str(exc)
        return
    assert len(sel) <= TABLE.height  # loaded fine: a usable selection


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(PATHS), st.sampled_from(["replace", "delete", "wrap"]), json_values
        ),
        min_size=1,
        max_size=3,
    )
)
def test_mutated_saved_selection_loads_or_raises_selection_error(mutations):
    doc = copy.deepcopy(DOCUMENT)
    for path, how, value in mutations:
        try:
            _mutate(doc, path, how, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path
    _load_or_refuse(doc)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=4))
def test_byte_damaged_file_loads_or_raises_selection_error(tmp_path_factory, edits):
    text = bytearray(json.dumps(DOCUMENT).encode())
    for where, byte in edits:
        text[where % len(text)] = byte
    path = tmp_path_factory.mktemp("damaged") / "sel.json"
    path.write_bytes(bytes(text))
    try:
        sel = Selection.load(path, TABLE)
    except SelectionError as exc:
        assert str(path) in str(exc) or "saved" in str(exc)
    else:
        assert len(sel) <= TABLE.height


def test_unmutated_document_round_trips():
    sel = Selection.from_dict(copy.deepcopy(DOCUMENT), TABLE)
    assert sel.changes().unchanged
    assert [s["name"] for s in sel.lineage] == [s["name"] for s in DOCUMENT["steps"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(steps="none"), "'steps'"),
        (lambda d: d.update(mission=17), "'mission'"),
        (lambda d: d.update(mission="mars_orbiter"), "'mission'"),
        (lambda d: d.update(locked="yes"), "'locked'"),
        (lambda d: d.update(instruments=["XRT", 3]), "'instruments'"),
        (lambda d: d.update(instruments=["NOT_AN_INSTRUMENT"]), "'instruments'"),
        (lambda d: d["steps"].__setitem__(0, "positions"), "'steps[0]'"),
        (lambda d: d["steps"][0]["params"]["positions"].pop("lon"), "'steps[0].params.positions'"),
        (lambda d: d["steps"][0]["params"].update(radius={TAG: "Quantity", "value": 1}), "radius"),
        (lambda d: d["steps"][1]["params"].update(radius=[-1.0, 2.0]), "'steps[1].params'"),
        (lambda d: d["steps"][6]["params"].update(resolved=None), "'steps[6].params.resolved'"),
        (lambda d: d["result"]["columns"].pop("obs_id"), "'result'"),
        (lambda d: d["snapshot"].update(rows="six"), "'snapshot.rows'"),
        (lambda d: d.update(format_version=True), "format_version"),
    ],
)
def test_each_damaged_field_is_named(change, field):
    doc = copy.deepcopy(DOCUMENT)
    change(doc)
    with pytest.raises(SelectionError, match=re.escape(field)):
        Selection.from_dict(doc, TABLE, source="edited.json")


def test_huge_dtype_is_refused_before_allocating():
    doc = copy.deepcopy(DOCUMENT)
    ids = doc["steps"][4]["params"]["obs_ids"]
    doc["steps"][4]["params"]["obs_ids"] = {
        TAG: "ndarray",
        "dtype": "<U100000000",
        "shape": [1],
        "data": ["x"],
    }
    assert ids  # the step exists and had ObsIDs
    with pytest.raises(SelectionError, match=r"steps\[4\]\.params\.obs_ids.*not one daxa writes"):
        Selection.from_dict(doc, TABLE)


def test_save_is_atomic_and_leaves_nothing_on_failure(tmp_path, monkeypatch):
    sel = Selection("swift", TABLE).filter_on_usable()
    path = sel.save(tmp_path / "sel.json")
    before = path.read_bytes()

    class Failing:
        def __init__(self, handle):
            self.handle = handle

        def write(self, text):
            self.handle.write(text[: len(text) // 2])
            raise OSError(28, "No space left on device")

    real_write = saved_selection.atomic_open

    def half_then_fail(target, mode="wb", **kwargs):
        import contextlib

        @contextlib.contextmanager
        def opened():
            with real_write(target, mode, **kwargs) as handle:
                yield Failing(handle)

        return opened()

    monkeypatch.setattr(saved_selection, "atomic_open", half_then_fail)
    with pytest.raises(SelectionError, match=r"could not save .*sel\.json: No space.*unchanged"):
        sel.filter_on_public().save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sel.json"]


def test_saved_selection_says_when_it_ran_on_synthetic_emulator_data(tmp_path, monkeypatch):
    from daxa import cache
    from daxa.config import mirror
    from daxa.errors import ProvenanceWarning

    monkeypatch.delenv("DAXA_MIRROR", raising=False)
    cache.write(
        TABLE,
        "swift",
        source_url="http://127.0.0.1:1/heasarc_tap/sync?table=swiftmastr",
        service="heasarc_tap",
        service_url="http://127.0.0.1:1/heasarc_tap",
        synthetic=True,
        cache_dir=tmp_path,
    )
    with mirror("http://127.0.0.1:2"):  # the emulator again, on another port: no warning
        sel = Selection("swift", cache_dir=tmp_path).filter_on_usable()
    saved = json.loads(sel.save(tmp_path / "sel.json").read_text())
    assert saved["snapshot"]["synthetic"] is True
    assert "SYNTHETIC" in saved["snapshot"]["note"]
    assert saved["snapshot"]["service"] == "heasarc_tap"
    with pytest.warns(ProvenanceWarning, match="synthetic emulator"):  # real archives configured
        back = Selection.load(tmp_path / "sel.json", cache_dir=tmp_path)
    assert back.changes().before.synthetic and back.snapshot.synthetic
