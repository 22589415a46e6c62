"""The transfer engine against servers that misbehave in ways the file trees do not."""

from __future__ import annotations

import base64
import hashlib
import threading
from pathlib import Path

import pytest

from daxa.download.engine import run_plan
from daxa.download.plan import RemoteFile
from daxa.download.transport import NotFoundError, Policy, Transport
from daxa.testing.server import Request, Response, bytes_response

from .helpers import leftovers

DATA = bytes(range(256)) * 4000  # 1 MB
FAST = Policy(backoff=0.01, retries=3)


def remote(emu, name: str, **kwargs) -> RemoteFile:  # type: ignore[no-untyped-def]
    return RemoteFile(f"{emu.url}/odd/{name}", f"obs/{name}", "obs", "heasarc_ftp", **kwargs)


@pytest.fixture
def odd(archive):  # type: ignore[no-untyped-def]
    emu, _tree = archive
    seen: list[str | None] = []

    def handler(request: Request) -> Response:
        seen.append(request.header("range"))
        name = request.path.rsplit("/", 1)[-1]
        if name == "no-ranges.bin":  # ignores Range: always the whole file
            return Response(200, DATA)
        if name == "wrong-span.bin" and request.header("range"):
            return Response(
                206, DATA[10:], headers={"Content-Range": f"bytes 10-{len(DATA) - 1}/{len(DATA)}"}
            )
        if name.startswith("digest-"):
            digest = hashlib.sha256(DATA if "good" in name else b"other").digest()
            headers = {"Repr-Digest": "sha-256=:" + base64.b64encode(digest).decode() + ":"}
            return bytes_response(request, DATA, headers=headers)
        return bytes_response(request, DATA)

    emu.mount("/odd", handler)
    yield emu, seen
    emu.unmount("/odd")


def test_server_ignoring_range_restarts(odd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, seen = odd
    emu.faults.truncate("/odd/no-ranges.bin", times=1, fraction=0.5)
    with Transport(FAST) as transport:
        (outcome,) = run_plan([remote(emu, "no-ranges.bin")], tmp_path, transport, check_fits=False)
    assert outcome.ok and (tmp_path / "obs" / "no-ranges.bin").read_bytes() == DATA
    assert seen == [None, f"bytes={len(DATA) // 2}-"]
    assert outcome.outputs[0].sha256 == hashlib.sha256(DATA).hexdigest()


def test_wrong_span_is_never_appended(odd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, seen = odd
    emu.faults.truncate("/odd/wrong-span.bin", times=1, fraction=0.5)
    with Transport(FAST) as transport:
        (outcome,) = run_plan(
            [remote(emu, "wrong-span.bin")], tmp_path, transport, check_fits=False
        )
    assert outcome.ok, outcome.error
    assert (tmp_path / "obs" / "wrong-span.bin").read_bytes() == DATA
    assert seen[:2] == [None, f"bytes={len(DATA) // 2}-"] and seen[2] is None


def test_announced_digest_is_checked(odd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, seen = odd
    with Transport(FAST) as transport:
        good, bad = run_plan(
            [remote(emu, "digest-good.bin"), remote(emu, "digest-bad.bin")],
            tmp_path,
            transport,
            check_fits=False,
        )
    assert good.ok
    assert "SHA-256 does not match" in (bad.error or "")
    assert emu.requests("/odd/digest-bad.bin") == 3  # first try and two fresh fetches
    assert not (tmp_path / "obs" / "digest-bad.bin").exists() and leftovers(tmp_path) == []


def test_planned_size_and_checksum(odd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, _seen = odd
    files = [
        remote(emu, "a.bin", size=len(DATA), sha256=hashlib.sha256(DATA).hexdigest()),
        remote(emu, "b.bin", size=len(DATA) + 1),
        remote(emu, "c.bin", sha256="0" * 64),
    ]
    with Transport(FAST) as transport:
        a, b, c = run_plan(files, tmp_path, transport, check_fits=False)
    assert a.ok
    assert "the archive lists 1024001" in (b.error or "")
    assert "SHA-256" in (c.error or "")
    assert sorted(p.name for p in (tmp_path / "obs").iterdir()) == ["a.bin"]


def test_cancel_stops_cleanly(odd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, _seen = odd
    emu.faults.delay("/odd", seconds=0.3)
    with Transport(FAST) as transport:
        threading.Timer(0.1, transport.cancelled.set).start()
        outcomes = run_plan(
            [remote(emu, f"f{i}.bin") for i in range(4)], tmp_path, transport, check_fits=False
        )
    assert all("cancelled" in (o.error or "") for o in outcomes)
    assert leftovers(tmp_path) == [] and not list(tmp_path.rglob("*.bin"))


def test_listing_not_found(odd) -> None:  # type: ignore[no-untyped-def]
    emu, _seen = odd
    with Transport(FAST) as transport, pytest.raises(NotFoundError, match="HTTP 404"):
        transport.get_text(f"{emu.url}/nowhere/")
    assert transport.requests_sent == 1  # a 404 is an answer: never retried


def test_shared_destination_fetched_once(odd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, _seen = odd
    shared = [
        RemoteFile(f"{emu.url}/odd/aux.bin", "aux/aux.bin", obs, "heasarc_ftp")
        for obs in ("o1", "o2", "o3")
    ]
    done: list[str] = []
    with Transport(FAST) as transport:
        outcomes = run_plan(
            shared, tmp_path, transport, check_fits=False, on_obs_done=lambda o, _: done.append(o)
        )
    assert all(o.ok and o.outputs[0].path == "aux/aux.bin" for o in outcomes)
    assert emu.requests("/odd/aux.bin") == 1
    assert sorted(done) == ["o1", "o2", "o3"]


def test_proxies_from_the_environment(odd, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from daxa.errors import DownloadError

    emu, _seen = odd
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")  # nothing listens on port 9
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    with Transport(Policy(retries=0)) as transport:
        assert transport.get_text(f"{emu.url}/odd/a.bin", what="file")  # bypassed: direct
    monkeypatch.delenv("no_proxy")
    with (
        Transport(Policy(retries=0)) as transport,
        pytest.raises(DownloadError, match="connection problem"),
    ):
        transport.get_text(f"{emu.url}/odd/a.bin", what="file")  # sent to the dead proxy
