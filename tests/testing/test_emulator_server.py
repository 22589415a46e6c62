"""The emulator's HTTP server: routing, streaming, Range, the eROSITA lists, lifecycle, CLI."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import requests
from astropy.io.votable import parse_single_table
from astropy.table import Table

from daxa import config
from daxa.errors import InputError
from daxa.testing import (
    ArchiveEmulator,
    RemoteFaults,
    Request,
    Response,
    bytes_response,
    emulated_archives,
    file_response,
    shared_data_dir,
)

CALPV = pl.DataFrame(
    {
        "ObsID": ["300007", "300008", "700001"],
        "start": ["2019-11-03T02:42:50", "2019-11-04T03:49:16", "2019-09-15T00:00:00"],
        "duration": [89627.0, 91643.0, None],
        "ra": [129.55, 133.86, 80.0],
        "dec": [1.5, 1.5, -69.5],
        "science_usable": [True, True, False],
        "Field_Name": ["EFEDS", "EFEDS", "LMC_SN1987A"],
    }
)


def standin_tables(table: str, n_rows: int | None = None, seed: int = 0) -> pl.DataFrame:
    if table == "erosita_calpv_info.csv":
        return CALPV
    if table == "chanmaster":
        n = 4 if n_rows is None else n_rows
        return pl.DataFrame({"obsid": np.arange(n) + 10 * seed})
    raise KeyError(table)


@pytest.fixture(scope="module")
def emu() -> Iterator[ArchiveEmulator]:
    with ArchiveEmulator(tables=standin_tables, samples_dir=None) as emulator:
        yield emulator


# -- routing ----------------------------------------------------------------------------------


def test_unknown_paths_are_404_html(emu: ArchiveEmulator) -> None:
    for path in ("/", "/nothing/here", "/heasarc_ftp/chandra/data", "/erosita_edr/other.csv"):
        answer = requests.get(emu.url + path, timeout=30)
        assert answer.status_code == 404, path
        assert answer.headers["Content-Type"].startswith("text/html")
        assert "<h1>Not Found</h1>" in answer.text


def test_mounted_handler_sees_the_request(emu: ArchiveEmulator) -> None:
    seen: list[Request] = []

    def echo(request: Request) -> Response:
        seen.append(request)
        return Response.json({"subpath": request.subpath, "form": request.form()})

    emu.mount("/heasarc_ftp", echo)
    try:
        answer = requests.post(
            emu.url + "/heasarc_ftp/chandra/data%20x/?a=1&b=two",
            data={"c": "3"},
            headers={"X-Test": "yes", "Range": "bytes=0-1"},
            timeout=30,
        )
    finally:
        emu.unmount("/heasarc_ftp")
    assert answer.json() == {
        "subpath": "/chandra/data x/",
        "form": {"a": "1", "b": "two", "c": "3"},
    }
    request = seen[0]
    assert (request.method, request.path, request.prefix) == (
        "POST",
        "/heasarc_ftp/chandra/data x/",
        "/heasarc_ftp",
    )
    assert request.query == {"a": "1", "b": "two"} and request.query_string == "a=1&b=two"
    assert request.header("x-test") == "yes" and request.header("RANGE") == "bytes=0-1"
    assert request.body == b"c=3" and request.client is not None
    assert requests.get(emu.url + "/heasarc_ftp/x", timeout=30).status_code == 404


def test_longest_prefix_wins(emu: ArchiveEmulator) -> None:
    emu.mount("/erosita_dr1/erodat", lambda r: Response.text(f"erodat {r.subpath}"))
    try:
        assert requests.get(emu.url + "/erosita_dr1/erodat/data/134", timeout=30).text == (
            "erodat /data/134"
        )
        assert requests.get(emu.url + "/erosita_dr1/other", timeout=30).status_code == 404
    finally:
        emu.unmount("/erosita_dr1/erodat")


def test_handler_failure_is_a_500_page(emu: ArchiveEmulator) -> None:
    def broken(request: Request) -> Response:
        raise RuntimeError("bug in a handler")

    emu.mount("/broken", broken)
    answer = requests.get(emu.url + "/broken", timeout=30)
    emu.unmount("/broken")
    assert answer.status_code == 500 and "Internal Server Error" in answer.text


def test_streamed_bodies_with_length_chunked_and_head(emu: ArchiveEmulator) -> None:
    chunks = [b"abc" * 1000, b"", b"def" * 2000]
    emu.mount("/sized", lambda r: Response(200, iter(chunks), "text/plain", length=9000))
    emu.mount("/chunked", lambda r: Response(200, iter(chunks), "text/plain"))
    try:
        sized = requests.get(emu.url + "/sized", timeout=30)
        assert sized.headers["Content-Length"] == "9000" and sized.content == b"".join(chunks)
        chunked = requests.get(emu.url + "/chunked", timeout=30)
        assert chunked.headers["Transfer-Encoding"] == "chunked"
        assert chunked.content == b"".join(chunks)
        head = requests.head(emu.url + "/sized", timeout=30)
        assert head.headers["Content-Length"] == "9000" and head.content == b""
    finally:
        emu.unmount("/sized")
        emu.unmount("/chunked")


def test_requests_are_served_concurrently(emu: ArchiveEmulator) -> None:
    emu.mount("/slow", lambda r: Response.text("done"))
    emu.faults.delay("/slow", 0.5)
    try:
        with ThreadPoolExecutor(max_workers=6) as pool:
            start = time.perf_counter()
            texts = list(
                pool.map(lambda _: requests.get(emu.url + "/slow", timeout=30).text, range(6))
            )
            elapsed = time.perf_counter() - start
    finally:
        emu.faults.reset()
        emu.unmount("/slow")
    assert texts == ["done"] * 6
    assert elapsed < 2.5  # six half-second requests, not one after another (3 s)


def test_keep_alive_reuses_the_connection(emu: ArchiveEmulator) -> None:
    clients: list[tuple[str, int] | None] = []

    def record(request: Request) -> Response:
        clients.append(request.client)
        return Response.text("ok")

    emu.mount("/ka", record)
    try:
        with requests.Session() as session:
            for _ in range(3):
                answer = session.get(emu.url + "/ka", timeout=30)
                assert answer.headers.get("Connection", "keep-alive") != "close"
    finally:
        emu.unmount("/ka")
    assert len(clients) == 3 and len(set(clients)) == 1


# -- Range ------------------------------------------------------------------------------------

DATA = bytes(range(100))


@pytest.fixture
def ranged(emu: ArchiveEmulator, tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "events.fits"
    path.write_bytes(DATA * 50)
    emu.mount("/bytes", lambda r: bytes_response(r, DATA, "application/fits"))
    emu.mount("/file", lambda r: file_response(r, path, "application/fits", chunk_size=64))
    yield path
    emu.unmount("/bytes")
    emu.unmount("/file")


@pytest.mark.parametrize(
    ("header", "status", "span", "content_range"),
    [
        (None, 200, (0, 100), None),
        ("bytes=10-19", 206, (10, 20), "bytes 10-19/100"),
        ("bytes=90-", 206, (90, 100), "bytes 90-99/100"),
        ("bytes=-5", 206, (95, 100), "bytes 95-99/100"),
        ("bytes=95-500", 206, (95, 100), "bytes 95-99/100"),
        ("bytes=0-0", 206, (0, 1), "bytes 0-0/100"),
        ("bytes=1-2,5-6", 200, (0, 100), None),  # several ranges: the whole body
        ("bytes=abc", 200, (0, 100), None),  # malformed: ignored
        ("items=1-2", 200, (0, 100), None),
    ],
)
def test_range_requests(
    emu: ArchiveEmulator, ranged: Path, header, status, span, content_range
) -> None:
    headers = {"Range": header} if header else {}
    answer = requests.get(emu.url + "/bytes", headers=headers, timeout=30)
    assert answer.status_code == status
    assert answer.content == DATA[span[0] : span[1]]
    assert answer.headers["Accept-Ranges"] == "bytes"
    assert answer.headers.get("Content-Range") == content_range
    assert int(answer.headers["Content-Length"]) == span[1] - span[0]


def test_unsatisfiable_range_is_416(emu: ArchiveEmulator, ranged: Path) -> None:
    answer = requests.get(emu.url + "/bytes", headers={"Range": "bytes=100-"}, timeout=30)
    assert answer.status_code == 416 and answer.headers["Content-Range"] == "bytes */100"


def test_file_response_resumes_with_etag(emu: ArchiveEmulator, ranged: Path) -> None:
    whole = requests.get(emu.url + "/file", timeout=30)
    assert whole.content == DATA * 50 and whole.headers["Last-Modified"].endswith("GMT")
    etag = whole.headers["ETag"]
    part = requests.get(
        emu.url + "/file", headers={"Range": "bytes=4000-", "If-Range": etag}, timeout=30
    )
    assert part.status_code == 206 and part.content == (DATA * 50)[4000:]
    stale = requests.get(
        emu.url + "/file", headers={"Range": "bytes=4000-", "If-Range": '"old"'}, timeout=30
    )
    assert stale.status_code == 200 and len(stale.content) == 5000
    ranged.unlink()
    assert requests.get(emu.url + "/file", timeout=30).status_code == 404


# -- eROSITA lists ----------------------------------------------------------------------------


def test_erosita_list_as_csv(emu: ArchiveEmulator) -> None:
    for path in (
        "/erosita_edr/erosita_calpv_info.csv",
        "/erosita_edr/some/dir/erosita_calpv_info.csv",
    ):
        answer = requests.get(emu.url + path, timeout=30)
        assert answer.status_code == 200 and answer.headers["Content-Type"] == "text/csv"
        back = pl.read_csv(io.BytesIO(answer.content), infer_schema=False)
        assert back["ObsID"].to_list() == ["300007", "300008", "700001"]
        assert back["Field_Name"].to_list() == ["EFEDS", "EFEDS", "LMC_SN1987A"]


def test_erosita_list_as_fits(emu: ArchiveEmulator) -> None:
    answer = requests.get(emu.url + "/erosita_edr/erosita_calpv_info.fits", timeout=30)
    assert answer.status_code == 200 and answer.content.startswith(b"SIMPLE  =")
    table = Table.read(io.BytesIO(answer.content), format="fits")
    assert table.colnames == CALPV.columns
    assert list(table["ObsID"]) == ["300007", "300008", "700001"]
    assert list(table["ra"]) == [129.55, 133.86, 80.0]
    assert np.isnan(np.ma.getdata(table["duration"])[2]) and table["duration"][1] == 91643.0
    assert list(table["science_usable"]) == [True, True, False]


def test_list_the_source_lacks_is_404(emu: ArchiveEmulator) -> None:
    answer = requests.get(emu.url + "/erosita_dr1/erass_de_dr1_info.csv", timeout=30)
    assert answer.status_code == 404


def test_list_answers_ranges(emu: ArchiveEmulator) -> None:
    whole = requests.get(emu.url + "/erosita_edr/erosita_calpv_info.csv", timeout=30).content
    part = requests.get(
        emu.url + "/erosita_edr/erosita_calpv_info.csv", headers={"Range": "bytes=5-"}, timeout=30
    )
    assert part.status_code == 206 and part.content == whole[5:]


# -- lifecycle, sizes, configuration ----------------------------------------------------------


def test_lifecycle() -> None:
    emulator = ArchiveEmulator(tables=standin_tables, samples_dir=None)
    with pytest.raises(InputError, match="not running"):
        _ = emulator.url
    emulator.start()
    url = emulator.url
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url) and emulator.running
    assert emulator.start() is emulator and emulator.url == url  # idempotent
    assert emulator.service_url("xsa_tap") == url + "/xsa_tap"
    with requests.Session() as session:
        assert session.get(url + "/_emulator/health", timeout=30).json()["ok"] is True
        emulator.stop()
        emulator.stop()
        with pytest.raises(requests.exceptions.ConnectionError):
            session.get(url + "/_emulator/health", timeout=5)
    assert not emulator.running


def test_sizes_and_seed_reach_the_table_source() -> None:
    small = ArchiveEmulator(tables=standin_tables, samples_dir=None)
    assert small.rows_for("chanmaster") is None and small.table("chanmaster").height == 4
    sized = ArchiveEmulator(
        tables=standin_tables, sizes={"chanmaster": 7}, seed=2, samples_dir=None
    )
    assert sized.rows_for("chanmaster") == 7 and sized.rows_for("numaster") is None
    assert sized.table("chanmaster")["obsid"].to_list() == list(range(20, 27))
    assert sized.table("chanmaster") is sized.table("chanmaster")  # generated once


def test_real_sizes_come_from_the_table_registry() -> None:
    tables = pytest.importorskip("daxa.testing.tables")
    if not hasattr(tables, "TABLES"):
        pytest.skip("the table generators have not landed yet")
    emulator = ArchiveEmulator(sizes="real", samples_dir=None)
    assert emulator.rows_for("swiftmastr") == tables.TABLES["swiftmastr"]


@pytest.mark.parametrize(
    "kwargs",
    [{"sizes": "huge"}, {"sizes": 3}, {"serialization": "fits"}],
)
def test_bad_arguments(kwargs) -> None:
    with pytest.raises(InputError):
        ArchiveEmulator(**kwargs)


def test_emulated_archives_points_daxa_at_the_emulator() -> None:
    before = config.service_url("heasarc_tap")
    with emulated_archives(tables=standin_tables, samples_dir=None) as emulator:
        assert config.service_url("heasarc_tap") == emulator.url + "/heasarc_tap"
        assert config.service_url("sesame") == emulator.url + "/sesame"
    assert config.service_url("heasarc_tap") == before


def test_shared_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DAXA_SHARED_DATA", str(tmp_path))
    assert shared_data_dir() == tmp_path
    monkeypatch.setenv("DAXA_SHARED_DATA", str(tmp_path / "missing"))
    assert shared_data_dir() is None
    monkeypatch.delenv("DAXA_SHARED_DATA")
    expected = Path(__file__).resolve().parents[2].parent / "shared" / "data"
    assert shared_data_dir() == (expected if expected.is_dir() else None)


# -- python -m daxa.testing serve -------------------------------------------------------------


def test_serve_command_in_a_subprocess() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "daxa.testing", "serve", "--port", "0", "--seed", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.search(r"serving at (http://127\.0\.0\.1:\d+)", first)
        assert match, first + (process.stderr.read() if process.stderr else "")
        url = match.group(1)
        assert f"DAXA_MIRROR={url}" in process.stdout.readline()
        answer = requests.get(url + "/sesame/-ox/~SNV?M87", timeout=30)
        assert answer.status_code == 200 and "<jradeg>187.70593075</jradeg>" in answer.text
        remote = RemoteFaults(url)
        remote.fail("/sesame", times=1)
        assert requests.get(url + "/sesame/-ox/~SNV?M87", timeout=30).status_code == 503
        assert remote.requests("/sesame") == 2
        assert requests.get(url + "/nothing", timeout=30).status_code == 404
        tables = pytest.importorskip("daxa.testing.tables")
        counted = requests.post(
            url + "/heasarc_tap/sync",
            data={"REQUEST": "doQuery", "LANG": "ADQL", "QUERY": "SELECT COUNT(*) FROM chanmaster"},
            timeout=60,
        )
        expected = tables.generate_table("chanmaster", seed=3).height
        assert counted.status_code == 200
        count = parse_single_table(io.BytesIO(counted.content)).to_table()["count"]
        assert int(count[0]) == expected
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "stopped" in out and "Traceback" not in err


def test_serve_rejects_bad_sizes() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "daxa.testing", "serve", "--sizes", "lots"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--sizes takes small, real or table=rows" in done.stderr
