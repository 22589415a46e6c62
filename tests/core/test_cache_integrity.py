"""Cache integrity under faults: flipped bytes, tampered metadata, killed and failed writes,
reads during a replace, refreshes that would shrink a table, and where a table came from."""

from __future__ import annotations

import json
import multiprocessing
import time
import warnings

import numpy as np
import pyarrow.parquet as pq
import pytest

from daxa import cache, cache_file
from daxa.atomic import TEMP_PREFIX, TEMP_SUFFIX
from daxa.config import mirror
from daxa.errors import CacheError, ProvenanceWarning, RefreshRefused
from daxa.services import ArchiveSession
from daxa.testing import emulated_archives
from tests.core.test_cache import make_table


@pytest.fixture(autouse=True)
def _real_services_configured(monkeypatch):
    """Tests decide where the services point; nothing from the environment leaks in."""
    monkeypatch.delenv("DAXA_MIRROR", raising=False)
    monkeypatch.delenv("DAXA_URL_HEASARC_TAP", raising=False)


def test_twenty_single_byte_flips_are_all_detected(tmp_path):
    path = cache.write(make_table(300), "swift", source_url="s", cache_dir=tmp_path)
    original = path.read_bytes()
    rng = np.random.default_rng(20)
    positions = rng.choice(len(original), size=20, replace=False)
    # always include bytes of the footer (metadata, statistics) and of the first data page
    positions[:3] = [len(original) - 9, len(original) - 300, 5]
    for where in positions:
        damaged = bytearray(original)
        damaged[where] ^= int(rng.integers(1, 256))
        path.write_bytes(bytes(damaged))
        with pytest.raises(CacheError, match=rf"{path.name}.*daxa fetch swift --refresh"):
            cache.read("swift", cache_dir=tmp_path)
    path.write_bytes(original)
    assert cache.read("swift", cache_dir=tmp_path).height == 300


def test_page_checksums_are_written_and_verified_on_request(tmp_path):
    path = cache.write(make_table(100), "swift", source_url="s", cache_dir=tmp_path)
    full = cache.read("swift", cache_dir=tmp_path, verify_pages=True)
    assert full.equals(cache.read("swift", cache_dir=tmp_path))
    # an independent reader sees the same rows with every page CRC checked
    checked = pq.read_table(path, page_checksum_verification=True)
    assert checked.num_rows == 100
    assert sorted(checked.column("obs_id").to_pylist()) == sorted(full["obs_id"].to_list())


def _rewrite_meta(path, **changes):
    meta = json.loads(pq.ParquetFile(path).metadata.metadata[b"daxa"])
    meta.update(changes)
    path.write_bytes(cache_file.encode(pq.read_table(path), meta))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("rows", "many"),
        ("rows", -3),
        ("rows", True),
        ("fetched_at", "yesterday"),
        ("fetched_at", None),
        ("mission", "chandra"),
        ("mission", 7),
        ("source_url", ["a"]),
        ("schema_version", "1"),
        ("daxa_version", {}),
        ("synthetic", "yes"),
        ("service", 3),
    ],
)
def test_tampered_metadata_names_the_field(tmp_path, field, value):
    path = cache.write(make_table(5), "swift", source_url="s", cache_dir=tmp_path)
    _rewrite_meta(path, **{field: value})
    for call in (cache.info, cache.read):
        with pytest.raises(CacheError, match=rf"'{field}'.*daxa fetch swift --refresh"):
            call("swift", cache_dir=tmp_path)


def test_metadata_that_is_not_json_or_missing_is_our_error(tmp_path):
    path = cache.write(make_table(5), "swift", source_url="s", cache_dir=tmp_path)
    table = pq.read_table(path)
    with pq.ParquetWriter(path, table.schema) as writer:
        writer.write_table(table)
        writer.add_key_value_metadata({"daxa": "{not json"})
    with pytest.raises(CacheError, match="not valid JSON"):
        cache.info("swift", cache_dir=tmp_path)
    pq.write_table(table, path)
    with pytest.raises(CacheError, match="not written by daxa"):
        cache.read("swift", cache_dir=tmp_path)


def test_file_without_content_hash_is_refused(tmp_path):
    path = cache.write(make_table(5), "swift", source_url="s", cache_dir=tmp_path)
    meta = json.loads(pq.ParquetFile(path).metadata.metadata[b"daxa"])
    del meta["content_sha256"]
    table = pq.read_table(path)
    with pq.ParquetWriter(path, table.schema) as writer:
        writer.write_table(table)
        writer.add_key_value_metadata({"daxa": json.dumps(meta)})
    with pytest.raises(CacheError, match="no valid 'content_sha256'.*refresh"):
        cache.read("swift", cache_dir=tmp_path)


def test_stale_temporaries_of_killed_writes_are_cleaned_under_the_lock(tmp_path):
    tmp_path.mkdir(exist_ok=True)
    stale = [
        tmp_path / f"{TEMP_PREFIX}swift.parquet.abc123{TEMP_SUFFIX}",
        tmp_path / ".swift.k2j4.tmp",  # the name older daxa versions used
    ]
    other = tmp_path / f"{TEMP_PREFIX}chandra.parquet.xyz{TEMP_SUFFIX}"
    for p in [*stale, other]:
        p.write_bytes(b"PAR1 killed half-way")
    cache.write(make_table(5), "swift", source_url="s", cache_dir=tmp_path)
    assert not any(p.exists() for p in stale)
    assert other.exists()  # another mission's write may still be running: not ours to touch


def test_credentials_never_reach_the_cache_file(tmp_path):
    path = cache.write(
        make_table(5),
        "swift",
        source_url="https://alice:hunter2@mirror.example/heasarc_tap/sync?table=swiftmastr",
        service="heasarc_tap",
        service_url="https://alice:hunter2@mirror.example/heasarc_tap",
        cache_dir=tmp_path,
    )
    meta = cache.info("swift", cache_dir=tmp_path)
    assert meta.source_url == "https://mirror.example/heasarc_tap/sync?table=swiftmastr"
    assert meta.service_url == "https://mirror.example/heasarc_tap"
    assert b"hunter2" not in path.read_bytes()


def _replace_repeatedly(folder: str, rounds: int) -> None:
    for i in range(rounds):
        n = 30 if i % 2 else 60
        cache.write(make_table(n, seed=n), "swift", source_url=f"w{n}", cache_dir=folder)


def test_reads_during_another_process_replacing_the_table_never_fail(tmp_path):
    cache.write(make_table(60, seed=60), "swift", source_url="w60", cache_dir=tmp_path)
    child = multiprocessing.get_context("spawn").Process(
        target=_replace_repeatedly, args=(str(tmp_path), 40)
    )
    child.start()
    reads, deadline = 0, time.monotonic() + 60
    try:
        while (child.is_alive() or reads == 0) and time.monotonic() < deadline:
            table = cache.read("swift", cache_dir=tmp_path)
            assert table.height in (30, 60)
            assert table["_healpix_29"].is_sorted()
            reads += 1
    finally:
        child.join(60)
    assert child.exitcode == 0
    assert reads > 0
    assert cache.read("swift", cache_dir=tmp_path).height == 30  # the last write (odd round)


def _fetch_from_emulator(folder, rows: int, *, force: bool = False):
    with (
        emulated_archives(seed=5, sizes={"swiftmastr": rows}) as emulator,
        ArchiveSession(retries=0) as session,
    ):
        cache.refresh("swift", folder, session=session, force=force)
        return emulator.url


def test_refresh_that_shrinks_sharply_keeps_the_old_table(tmp_path):
    _fetch_from_emulator(tmp_path, 300)
    before = cache.info("swift", tmp_path).rows
    assert before > 200
    with pytest.raises(RefreshRefused, match=rf"kept the cached swift table \({before:,} rows\)"):
        _fetch_from_emulator(tmp_path, 40)
    with pytest.warns(ProvenanceWarning):  # emulator gone: real services configured again
        assert cache.read("swift", tmp_path).height == before
    _fetch_from_emulator(tmp_path, 40, force=True)
    assert cache.info("swift", tmp_path).rows < before / 2


def test_shrink_rule_on_counts(tmp_path):
    cache.write(make_table(10), "swift", source_url="s", cache_dir=tmp_path)
    cache.check_shrink("swift", 5, tmp_path)  # half is still accepted
    cache.check_shrink("swift", 1000, tmp_path)
    for smaller in (4, 0):
        with pytest.raises(RefreshRefused, match="--refresh --force") as caught:
            cache.check_shrink("swift", smaller, tmp_path)
        assert (caught.value.old_rows, caught.value.new_rows) == (10, smaller)
    cache.check_shrink("chandra", 0, tmp_path)  # nothing cached: nothing to protect


def test_emulator_table_warns_when_the_real_services_are_configured(tmp_path):
    url = _fetch_from_emulator(tmp_path, 50)
    meta = cache.info("swift", tmp_path)
    assert meta.synthetic
    assert (meta.service, meta.service_url) == ("heasarc_tap", f"{url}/heasarc_tap")
    # the emulator again (on whatever port it has this time): no warning
    with emulated_archives(seed=5), warnings.catch_warnings():
        warnings.simplefilter("error")
        cache.read("swift", tmp_path)
    path = cache.cache_path("swift", tmp_path)
    with pytest.warns(ProvenanceWarning) as caught:
        cache.read("swift", tmp_path)
    message = str(caught[0].message)
    assert str(path) in message
    assert "synthetic emulator" in message
    assert "https://heasarc.gsfc.nasa.gov/xamin/vo/tap" in message
    assert "daxa fetch swift --refresh" in message


def test_table_from_the_real_archive_warns_when_pointed_elsewhere(tmp_path):
    cache.write(
        make_table(5),
        "swift",
        source_url="https://heasarc.gsfc.nasa.gov/xamin/vo/tap/sync?table=swiftmastr",
        service="heasarc_tap",
        service_url="https://heasarc.gsfc.nasa.gov/xamin/vo/tap",
        cache_dir=tmp_path,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cache.read("swift", tmp_path)
    for elsewhere in ("http://127.0.0.1:9", "https://mirror.example"):
        with mirror(elsewhere), pytest.warns(ProvenanceWarning, match=f"now points at {elsewhere}"):
            cache.read("swift", tmp_path)


def _serve_once(headers: dict[str, str]):
    """A loopback server answering every GET with ``headers`` (and a tiny body)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        server_version = "plain-mirror/1.0"

        def do_GET(self):  # noqa: N802 (http.server's name)
            self.send_response(200)
            for name, value in {**headers, "Content-Length": "2"}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_the_emulator_header_marks_an_origin_synthetic():
    from daxa.services.http import is_synthetic

    marked = _serve_once({"X-Daxa-Emulator": "synthetic"})
    plain = _serve_once({})
    try:
        with ArchiveSession(retries=0) as session:
            for server in (marked, plain):
                session.get(f"http://127.0.0.1:{server.server_address[1]}/tap/sync")
        assert is_synthetic(f"http://127.0.0.1:{marked.server_address[1]}/other/path")
        assert not is_synthetic(f"http://127.0.0.1:{plain.server_address[1]}/tap/sync")
    finally:
        for server in (marked, plain):
            server.shutdown()
            server.server_close()


def test_credentials_in_a_mirror_url_reach_neither_fetched_nor_the_cache(tmp_path):
    from daxa.fetch import fetch_mission
    from daxa.testing import ArchiveEmulator

    with ArchiveEmulator(seed=5, sizes={"swiftmastr": 30}) as emulator:
        plain = emulator.url
        with_secret = plain.replace("http://", "http://alice:hunter2@")
        with mirror(with_secret), ArchiveSession(retries=0) as session:
            fetched = fetch_mission("swift", session=session)
            cache.refresh("swift", tmp_path, session=session)
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # the same service, password or not
                cache.read("swift", tmp_path)
    assert fetched.synthetic and fetched.service_url == f"{plain}/heasarc_tap"
    assert "hunter2" not in repr(fetched.source_url) + repr(fetched.service_url)
    meta = cache.info("swift", tmp_path)
    assert "hunter2" not in repr(meta)
    assert b"hunter2" not in cache.cache_path("swift", tmp_path).read_bytes()
