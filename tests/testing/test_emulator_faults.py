"""Fault injection through real HTTP: failures, delays, cut bodies, HTML pages, counting."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from daxa.errors import InputError, ServiceUnavailableError
from daxa.testing import ArchiveEmulator, Faults, RemoteFaults, Request, Response

PAYLOAD = bytes(range(256)) * 400  # 102,400 bytes


def payload(request: Request) -> Response:
    return Response(200, PAYLOAD, "application/octet-stream")


@pytest.fixture
def emu() -> Iterator[ArchiveEmulator]:
    with ArchiveEmulator(samples_dir=None) as emulator:
        emulator.mount("/data", payload)
        yield emulator


def get(emu: ArchiveEmulator, path: str) -> requests.Response:
    return requests.get(emu.url + path, timeout=30)


def test_fail_then_recover(emu: ArchiveEmulator) -> None:
    emu.faults.fail("/data", times=2, status=503, retry_after=1)
    first, second, third = (get(emu, "/data/file") for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (503, 503, 200)
    assert first.headers["Retry-After"] == "1"
    assert "<title>503 Service Unavailable</title>" in first.text
    assert third.content == PAYLOAD
    assert emu.requests("/data") == 3


def test_fail_applies_by_prefix_only(emu: ArchiveEmulator) -> None:
    emu.faults.fail("/data/a", times=1, status=500)
    assert get(emu, "/data/b").status_code == 200
    assert get(emu, "/data/ab").status_code == 200  # /data/a is not a prefix of /data/ab
    assert get(emu, "/data/a/x").status_code == 500
    assert get(emu, "/data/a/x").status_code == 200


def test_delay(emu: ArchiveEmulator) -> None:
    emu.faults.delay("/data", 0.4, times=1)
    start = time.perf_counter()
    assert get(emu, "/data").status_code == 200
    assert time.perf_counter() - start >= 0.4
    start = time.perf_counter()
    get(emu, "/data")
    assert time.perf_counter() - start < 0.4


def test_delay_trips_a_client_timeout(emu: ArchiveEmulator) -> None:
    emu.faults.delay("/data", 1.0)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(emu.url + "/data", timeout=(5, 0.2))


def test_truncate_announces_full_length_and_cuts(emu: ArchiveEmulator) -> None:
    emu.faults.truncate("/data", times=1, fraction=0.25)
    with requests.get(emu.url + "/data", stream=True, timeout=30) as answer:
        assert int(answer.headers["Content-Length"]) == len(PAYLOAD)
        received = bytearray()
        cut = r"IncompleteRead\(25600 bytes read, 76800 more expected\)"
        with pytest.raises(requests.exceptions.ChunkedEncodingError, match=cut):
            for chunk in answer.iter_content(8192):
                received += chunk
    assert bytes(received) == PAYLOAD[: len(received)]  # what arrived is the start of the body
    assert get(emu, "/data").content == PAYLOAD  # only once


def test_html_error_page_with_status_200(emu: ArchiveEmulator) -> None:
    emu.faults.html_error("/data", times=1)
    answer = get(emu, "/data")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    assert answer.text.lstrip().lower().startswith("<!doctype html")
    assert get(emu, "/data").content == PAYLOAD


def test_fail_wins_over_truncate_and_keeps_it(emu: ArchiveEmulator) -> None:
    emu.faults.truncate("/data", times=1)
    emu.faults.fail("/data", times=1)
    assert get(emu, "/data").status_code == 503
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        get(emu, "/data")  # the truncate rule was not used up by the failed request
    assert get(emu, "/data").content == PAYLOAD


def test_reset_and_counts(emu: ArchiveEmulator) -> None:
    emu.faults.fail("/data", times=None)
    assert get(emu, "/data").status_code == 503
    assert get(emu, "/data/x").status_code == 503
    assert get(emu, "/elsewhere").status_code == 404
    assert (emu.requests("/data"), emu.requests("/data/x"), emu.requests()) == (2, 1, 3)
    assert len(emu.faults.rules()) == 1
    emu.faults.reset()
    assert emu.requests() == 0 and emu.faults.rules() == []
    assert get(emu, "/data").status_code == 200


def test_daxa_session_retries_through_faults(emu: ArchiveEmulator) -> None:
    """The shared session retries 503s and cut bodies, and gives up with a daxa error."""
    from daxa.services.http import ArchiveSession

    session = ArchiveSession(retries=3, backoff=0.01)
    emu.faults.fail("/data", times=1)
    emu.faults.truncate("/data", times=1)
    answer = session.get(emu.url + "/data")
    assert answer.body == PAYLOAD and emu.requests("/data") == 3
    emu.faults.fail("/data", times=None)
    with pytest.raises(ServiceUnavailableError, match="gave up after 4 attempts"):
        session.get(emu.url + "/data")


def test_control_endpoint(emu: ArchiveEmulator) -> None:
    control = emu.url + "/_emulator/faults"
    commands = [
        {"action": "fail", "path": "/data", "times": 1, "status": 502},
        {"action": "html_error", "path": "/data", "times": 1},
    ]
    answer = requests.post(control, json=commands, timeout=30)
    assert answer.status_code == 200
    assert [r["kind"] for r in answer.json()["rules"]] == ["fail", "html_error"]
    assert get(emu, "/data").status_code == 502
    assert get(emu, "/data").headers["Content-Type"].startswith("text/html")
    counted = requests.get(emu.url + "/_emulator/requests", params={"path": "/data"}, timeout=30)
    assert counted.json() == {"path": "/data", "count": 2}  # control requests are not counted
    bad = requests.post(control, json={"action": "explode", "path": "/data"}, timeout=30)
    assert bad.status_code == 400 and "unknown fault action 'explode'" in bad.json()["error"]
    bad = requests.post(control, json={"action": "fail", "path": "/x", "times": 0}, timeout=30)
    assert bad.status_code == 400 and "times must be" in bad.json()["error"]
    assert requests.post(control, json={"action": "reset"}, timeout=30).json() == {"rules": []}
    assert requests.get(emu.url + "/_emulator/health", timeout=30).json()["ok"] is True


def test_remote_faults_client(emu: ArchiveEmulator) -> None:
    remote = RemoteFaults(emu.url)
    remote.fail("/data", times=1, status=504)
    remote.delay("/data", 0.0, times=1)
    assert [r["kind"] for r in remote.rules()] == ["fail", "delay"]
    assert get(emu, "/data").status_code == 504
    remote.truncate("/data", fraction=0.5)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        get(emu, "/data")
    remote.html_error("/data")
    assert get(emu, "/data").text.startswith("<!DOCTYPE html>")
    assert remote.requests("/data") == 3 and remote.requests() == 3
    with pytest.raises(InputError, match="fraction must be in"):
        remote.truncate("/data", fraction=2)
    remote.reset()
    assert remote.requests() == 0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda f: f.fail("/x", status=42), "not an HTTP status"),
        (lambda f: f.fail("/x", times=-1), "times must be a whole number"),
        (lambda f: f.fail("/x", times=1.5), "times must be a whole number"),
        (lambda f: f.delay("/x", -1), "delay must be"),
        (lambda f: f.truncate("/x", fraction=1.0), "fraction must be in"),
        (lambda f: f.apply({"action": "fail", "route": "/x"}), "bad arguments for fail"),
        (lambda f: f.apply(["fail"]), "a fault command is a JSON object"),
    ],
)
def test_bad_fault_arguments(call, message: str) -> None:
    with pytest.raises(InputError, match=message):
        call(Faults())


def test_paths_are_normalised() -> None:
    faults = Faults()
    faults.fail("http://127.0.0.1:9/heasarc_tap/", times=1)
    assert faults.rules()[0]["path"] == "/heasarc_tap"
    assert faults.arrived("/heasarc_tap/sync").status == 503
    assert faults.requests("heasarc_tap") == 1
