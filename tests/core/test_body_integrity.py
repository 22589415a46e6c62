"""Table fetches never accept a body cut short, and wait as long as the service asks.

Faults the emulator cannot make (no ``Content-Length``, a 503 with ``Retry-After``, a body
dropped mid-way, a compressed bomb) come from a loopback server in the test; the bodies it
serves are real recorded answers, and what daxa parses is compared with astropy's reading of
the same bytes.
"""

from __future__ import annotations

import gzip
import io
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from daxa import config
from daxa.errors import ServiceError, ServiceUnavailableError
from daxa.services import ArchiveSession, inflate, run_query
from daxa.services.lists import fetch_list
from daxa.testing import shared_data_dir
from tests._loopback import Answer, loopback, sequence


def _shared(*parts: str) -> Path:
    root = shared_data_dir()
    path = root.joinpath(*parts) if root is not None else None
    if path is None or not path.exists():
        pytest.skip(f"shared data {'/'.join(parts)} not available")
    return path


@pytest.fixture()
def session() -> Iterator[ArchiveSession]:
    with ArchiveSession(retries=2, backoff=0.01, read_timeout=10) as s:
        yield s


def _astropy_votable(data: bytes) -> list[tuple[object, ...]]:
    from astropy.io import votable

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = votable.parse_single_table(io.BytesIO(data)).to_table()
    return [tuple(row) for row in table.as_array().tolist()]


def _rows(frame) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    return [tuple(r) for r in frame.rows()]


def test_votable_cut_without_length_is_retried(session: ArchiveSession) -> None:
    data = _shared("responses", "esac_tap", "user_table_binary2.vot").read_bytes()

    script = sequence(
        Answer(body=data, length=False, cut=len(data) // 2, headers={"Content-Type": "text/xml"}),
        Answer(body=data, length=False, headers={"Content-Type": "text/xml"}),
    )

    with loopback(script) as server, config.mirror(server.url):
        rows = run_query("xsa_tap", "SELECT * FROM t", session=session)
    assert len(server.seen) == 2  # the cut answer was not accepted
    assert _rows(rows) == _astropy_votable(data)


def test_votable_always_cut_fails_naming_the_url(session: ArchiveSession) -> None:
    data = _shared("responses", "esac_tap", "user_table_binary2.vot").read_bytes()
    script = sequence(Answer(body=data, length=False, cut=len(data) - 40))
    with (
        loopback(script) as server,
        config.mirror(server.url),
        pytest.raises(ServiceUnavailableError) as caught,
    ):
        run_query("xsa_tap", "SELECT * FROM t", session=session)
    message = str(caught.value)
    assert "</VOTABLE>" in message and f"{server.url}/xsa_tap/sync" in message
    assert len(server.seen) == 3  # 1 + retries=2


def test_retry_after_is_waited_for(session: ArchiveSession) -> None:
    data = _shared("responses", "esac_tap", "user_table_binary2.vot").read_bytes()

    script = sequence(Answer(503, b"busy", {"Retry-After": "1"}), Answer(body=data))

    with loopback(script) as server, config.mirror(server.url):
        rows = run_query("xsa_tap", "SELECT * FROM t", session=session)
    assert _rows(rows) == _astropy_votable(data)
    first, second = server.seen
    assert second.at - first.at >= 0.9  # backoff alone would retry at once (backoff=0.01)


def test_retry_after_is_capped() -> None:
    data = _shared("responses", "esac_tap", "user_table_binary2.vot").read_bytes()

    script = sequence(Answer(429, b"slow down", {"Retry-After": "3600"}), Answer(body=data))

    with (
        ArchiveSession(retries=1, backoff=0.01, max_wait=0.3) as s,
        loopback(script) as server,
        config.mirror(server.url),
    ):
        run_query("xsa_tap", "SELECT * FROM t", session=s)
    first, second = server.seen
    assert 0.25 <= second.at - first.at < 60  # capped at max_wait, far below the hour asked


def test_dropped_mid_body_with_a_length_is_retried(session: ArchiveSession) -> None:
    data = _shared("responses", "esac_tap", "user_table_tabledata.vot").read_bytes()
    script = sequence(Answer(body=data, cut=100), Answer(body=data))
    with loopback(script) as server, config.mirror(server.url):
        rows = run_query("xsa_tap", "SELECT * FROM t", session=session)
    assert len(server.seen) == 2 and _rows(rows) == _astropy_votable(data)


def test_fits_list_cut_at_a_block_boundary_is_retried(session: ArchiveSession) -> None:
    from astropy.table import Table

    data = _shared("responses", "heasarc_browse", "rosmaster_83rows_2024.fits").read_bytes()
    cut = 3 * 2880  # whole blocks, headers closed: only the data size shows the cut
    script = sequence(Answer(body=data, length=False, cut=cut), Answer(body=data, length=False))
    with loopback(script) as server:
        frame = fetch_list(
            f"{server.url}/list.fits", service="erosita_edr", table="t", session=session
        )
    assert len(server.seen) == 2
    expected = Table.read(io.BytesIO(data), format="fits")
    assert frame.height == len(expected) == 83
    assert frame.columns == expected.colnames


def test_csv_list_cut_mid_row_is_retried(session: ArchiveSession) -> None:
    data = _shared("erosita", "erosita_calpv_info.csv").read_bytes()
    csv = {"Content-Type": "text/csv"}
    script = sequence(
        Answer(body=data, length=False, cut=len(data) // 2 + 7, headers=csv),
        Answer(body=data, length=False, headers=csv),
    )
    with loopback(script) as server:
        frame = fetch_list(
            f"{server.url}/erosita_calpv_info.csv",
            service="erosita_edr",
            table="t",
            session=session,
        )
    assert len(server.seen) == 2
    assert frame.height == data.count(b"\n") - 1


def test_csv_list_cut_at_a_line_needs_the_known_count(session: ArchiveSession) -> None:
    data = _shared("erosita", "erosita_calpv_info.csv").read_bytes()
    lines = data.splitlines(keepends=True)
    half = b"".join(lines[: len(lines) // 2])  # ends with a newline: looks whole
    script = sequence(Answer(body=half, headers={"Content-Type": "text/csv"}))
    with loopback(script) as server:
        url = f"{server.url}/erosita_calpv_info.csv"
        assert (
            fetch_list(url, service="erosita_edr", table="t", session=session).height
            == len(lines) // 2 - 1
        )
        with pytest.raises(ServiceUnavailableError, match="rows where 170 were expected"):
            fetch_list(url, service="erosita_edr", table="t", session=session, expected_rows=170)


def test_a_compressed_bomb_is_refused(
    session: ArchiveSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inflate, "FLOOR", 1 << 20)
    bomb = gzip.compress(b"0" * (4 << 20))  # 4 MiB from a few KiB: past 1 MiB and 200x
    script = sequence(
        Answer(body=bomb, headers={"Content-Encoding": "gzip", "Content-Type": "text/csv"})
    )
    with loopback(script) as server, pytest.raises(ServiceError) as caught:
        fetch_list(f"{server.url}/l.csv", service="erosita_edr", table="t", session=session)
    message = str(caught.value)
    assert "decompression bomb" in message and "DAXA_MAX_INFLATE_RATIO" in message
    assert f"{server.url}/l.csv" in message
    assert len(server.seen) == 1  # a bomb is not retried


def test_chunked_answer_cut_before_its_last_chunk_is_retried(session: ArchiveSession) -> None:
    data = _shared("responses", "heasarc_browse", "rosmaster_all_columns_1000rows_votable10.xml")
    body = data.read_bytes()
    script = sequence(
        Answer(body=body, chunked=True, cut=len(body) // 3), Answer(body=body, chunked=True)
    )
    with loopback(script) as server, config.mirror(server.url):
        rows = run_query("heasarc_tap", "SELECT * FROM rosmaster", session=session)
    assert len(server.seen) == 2 and rows.height == 1000


def test_mirror_credentials_do_not_follow_a_redirect(session: ArchiveSession) -> None:
    data = _shared("responses", "esac_tap", "user_table_binary2.vot").read_bytes()
    with loopback(sequence(Answer(body=data))) as elsewhere:
        moved = sequence(Answer(302, b"", {"Location": f"http://localhost:{elsewhere.port}/sync"}))
        with loopback(moved) as mirror, config.mirror(f"http://u:pw-tap@127.0.0.1:{mirror.port}"):
            rows = run_query("xsa_tap", "SELECT * FROM t", session=session)
    assert _rows(rows) == _astropy_votable(data)
    assert mirror.seen[0].headers.get("authorization", "").startswith("Basic ")
    assert "authorization" not in elsewhere.seen[0].headers


def test_netrc_is_not_read_for_table_fetches(
    session: ArchiveSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login m password pw-m\ndefault login d password pw-d\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    data = _shared("responses", "esac_tap", "user_table_binary2.vot").read_bytes()
    with loopback(sequence(Answer(body=data))) as server, config.mirror(server.url):
        run_query("xsa_tap", "SELECT * FROM t", session=session)
    assert "authorization" not in server.seen[0].headers  # requests alone would send netrc's
