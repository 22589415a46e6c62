"""Downloads never accept a cut listing or file, send credentials only to their own origin,
ask for listed names as themselves, and refuse decompression bombs.

Faults the emulator cannot make come from a loopback server: either serving recorded answers
itself, or as a proxy in front of the emulator that drops ``Content-Length`` and cuts bodies.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from daxa import config
from daxa.download import download
from daxa.download.common import Lister
from daxa.download.credentials import resolve_credentials
from daxa.download.transport import Policy, Transport
from daxa.download.unpack import gunzip_file
from daxa.errors import DownloadError
from daxa.services import inflate
from daxa.testing import shared_data_dir
from tests._loopback import Answer, Seen, loopback, proxy, sequence

from .helpers import leftovers

FAST = {"progress": False, "backoff": 0.01}
POLICY = Policy(retries=2, backoff=0.01, read_timeout=10)


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(".daxa")
    }


def test_a_cut_listing_never_makes_an_obsid_complete(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, _tree = archive
    obs_id = str(emu.table("chanmaster")["obsid"][0])
    folder = f"/heasarc_ftp/chandra/data/byobsid/{obs_id[-1]}/{obs_id}/"
    reference = download("chandra", [obs_id], dest=tmp_path / "ref", **FAST)
    assert reference.ok == [obs_id]
    expected = _files(tmp_path / "ref" / "chandra" / obs_id)
    cuts = {"left": 0}

    def alter(seen: Seen, answer: Answer) -> Answer:
        answer.length = False  # every body ends when the connection closes
        if seen.path == folder and cuts["left"]:
            cuts["left"] -= 1
            answer.cut = answer.body.rfind(b"<a href")  # the last entry and </html> are lost
        return answer

    with loopback(proxy(emu.url, alter)) as server, config.mirror(server.url):
        cuts["left"] = 1_000
        always = download("chandra", [obs_id], dest=tmp_path / "always", retries=2, **FAST)
        assert always.failed and "</html>" in always.failed[obs_id]
        assert sum(s.path == folder for s in server.seen) == 3
        manifest = tmp_path / "always" / "chandra" / obs_id / ".daxa-manifest.json"
        assert not manifest.exists() or json.loads(manifest.read_text())["complete"] is False

        cuts["left"] = 1
        once = download("chandra", [obs_id], dest=tmp_path / "once", retries=2, **FAST)
    assert once.ok == [obs_id]
    assert _files(tmp_path / "once" / "chandra" / obs_id) == expected  # every file, same bytes
    assert leftovers(tmp_path) == []


def test_fits_without_length_cut_at_a_block_boundary_is_fetched_again(tmp_path: Path) -> None:
    root = shared_data_dir()
    source = root / "responses" / "erodat" / "inst_filt.fits" if root else None
    if source is None or not source.exists():
        pytest.skip("shared data not available")
    data = source.read_bytes()
    from astropy.io import fits

    with fits.open(source) as hdus:  # independent reading: 3 blocks end inside HDU 2's data
        assert len(hdus) == 2 and hdus[1].header["NAXIS2"] > 0 and len(data) == 4 * 2880
    script = sequence(
        Answer(body=data, length=False, cut=3 * 2880), Answer(body=data, length=False)
    )
    part = tmp_path / "inst_filt.fits.part"
    with loopback(script) as server, Transport(POLICY) as transport:
        fetched = transport.fetch(f"{server.url}/inst_filt.fits", part)
    assert part.read_bytes() == data and fetched.size == len(data)
    assert len(server.seen) == 2 and "range" not in server.seen[1].headers  # started again


def test_fits_always_cut_without_length_fails(tmp_path: Path) -> None:
    block = (b"SIMPLE  =                    T".ljust(80) + b"BITPIX  =                    8".ljust(80)
             + b"NAXIS   =                    1".ljust(80) + b"NAXIS1  =                 5000".ljust(80)
             + b"END".ljust(80)).ljust(2880)  # fmt: skip
    script = sequence(Answer(body=block, length=False))  # header says 5000 bytes follow: none do
    with (
        loopback(script) as server,
        Transport(POLICY) as transport,
        pytest.raises(DownloadError) as caught,
    ):
        transport.fetch(f"{server.url}/x.fits", tmp_path / "x.fits.part")
    assert "before its data do" in str(caught.value) and f"{server.url}/x.fits" in str(caught.value)
    assert len(server.seen) == 3


def test_listed_names_are_requested_as_themselves(tmp_path: Path) -> None:
    page = (
        b'<html><body><pre><a href="../">Parent Directory</a>\n'
        b'<a href="a%23b%20c%3F.fits">a#b c?.fits</a>  2024-01-01 10:00  12\n'
        b'<a href="100%25.txt">100%.txt</a>  2024-01-01 10:00  3\n'
        b"</pre></body></html>\n"
    )

    def script(seen: Seen) -> Answer:
        if seen.path.endswith("/"):
            return Answer(body=page, headers={"Content-Type": "text/html"})
        return Answer(body=seen.path.encode())

    with (
        loopback(script) as server,
        config.mirror(server.url),
        Transport(POLICY) as transport,
    ):
        lister = Lister(transport, "heasarc_ftp")
        entries = lister.entries("some dir/obs")
        assert [e.name for e in entries] == ["a#b c?.fits", "100%.txt"]
        for entry in entries:
            remote = lister.file("some dir/obs", entry, entry.name, "obs")
            transport.fetch(remote.url, tmp_path / "f.part")
    assert [s.path for s in server.seen] == [
        "/heasarc_ftp/some%20dir/obs/",
        "/heasarc_ftp/some%20dir/obs/a%23b%20c%3F.fits",
        "/heasarc_ftp/some%20dir/obs/100%25.txt",
    ]


def _basic(seen: Seen) -> str | None:
    return seen.headers.get("authorization")


@pytest.mark.parametrize("other_host", ["localhost", "127.0.0.1"])
def test_credentials_do_not_follow_a_redirect_elsewhere(tmp_path: Path, other_host: str) -> None:
    with loopback(sequence(Answer(body=b"the file"))) as elsewhere:
        target = f"http://{other_host}:{elsewhere.port}/file"
        moved = sequence(Answer(302, b"", {"Location": target}))
        with loopback(moved) as archive:
            creds = resolve_credentials(("alice", "pw-redirect"), archive.url)
            assert creds is not None
            with Transport(POLICY, [creds]) as transport:
                transport.fetch(f"{archive.url}/file", tmp_path / "file.part")
    assert _basic(archive.seen[0]) is not None  # sent to its own origin...
    assert [_basic(s) for s in elsewhere.seen] == [None]  # ...never past a redirect
    assert (tmp_path / "file.part").read_bytes() == b"the file"


def test_mirror_credentials_stay_on_the_mirror(tmp_path: Path) -> None:
    with loopback(sequence(Answer(body=b"moved file"))) as elsewhere:
        moved = sequence(Answer(302, b"", {"Location": f"http://localhost:{elsewhere.port}/f"}))
        with (
            loopback(moved) as mirror,
            config.mirror(f"http://mirror-user:pw-mirror@127.0.0.1:{mirror.port}"),
            Transport(POLICY) as transport,
        ):
            url = f"{config.service_url('heasarc_ftp')}/f"
            assert "pw-mirror" not in url
            transport.fetch(url, tmp_path / "f.part")
    assert _basic(mirror.seen[0]) is not None and _basic(elsewhere.seen[0]) is None


def test_netrc_default_is_not_used_unless_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text(
        "machine other.example.org login m password pw-m\ndefault login d password pw-d\n"
    )
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.delenv("DAXA_NETRC_DEFAULT", raising=False)
    assert resolve_credentials(None, "https://heasarc.gsfc.nasa.gov/FTP") is None
    assert resolve_credentials(None, "https://other.example.org/x").user == "m"  # type: ignore[union-attr]
    asked = resolve_credentials(None, "https://heasarc.gsfc.nasa.gov/FTP", netrc_default=True)
    assert asked is not None and asked.user == "d"
    monkeypatch.setenv("DAXA_NETRC_DEFAULT", "1")
    assert resolve_credentials(None, "https://heasarc.gsfc.nasa.gov/FTP").user == "d"  # type: ignore[union-attr]


def test_xmm_credentials_go_to_the_xsa_only(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, tree = archive
    tree.protect("/xsa_aio", "alice", "pw-xsa")
    with loopback(proxy(emu.url)) as server, config.mirror(server.url):
        xsa = download("xmm_pointed", ["0201903501"], dest=tmp_path / "xsa",
                       credentials=("alice", "pw-xsa"), **FAST)  # fmt: skip
        heasarc = download("xmm_pointed", ["0201903501"], dest=tmp_path / "heasarc",
                           credentials=("alice", "pw-xsa"), source="heasarc", **FAST)  # fmt: skip
    assert xsa.ok == ["0201903501"] and heasarc.ok == ["0201903501"]
    sent = {s.path.split("/")[1] for s in server.seen if _basic(s)}
    assert sent == {"xsa_aio"}  # never to heasarc_ftp, though it is the same mirror host
    assert any(s.path.startswith("/heasarc_ftp/") for s in server.seen)


def test_a_gzip_bomb_is_refused_naming_the_file_and_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inflate, "FLOOR", 1 << 20)
    bomb = tmp_path / "events.fits.gz"
    bomb.write_bytes(gzip.compress(bytes(8 << 20)))
    with pytest.raises(DownloadError) as caught:
        gunzip_file(bomb)
    message = str(caught.value)
    assert "events.fits.gz" in message and "DAXA_MAX_INFLATE_RATIO" in message
    limit = max(1 << 20, 200 * bomb.stat().st_size)  # the floor, or 200x the packed size
    assert f"past {limit:,} bytes" in message and limit < 8 << 20
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.fits.gz"]  # nothing half-made
    monkeypatch.setenv("DAXA_MAX_INFLATE_RATIO", "100000")
    assert gunzip_file(bomb).stat().st_size == 8 << 20  # the documented way to allow it


def test_a_compressed_listing_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inflate, "FLOOR", 1 << 20)
    page = b"<html><body><pre>" + b" " * (4 << 20) + b"</pre></body></html>"
    script = sequence(Answer(body=gzip.compress(page), headers={"Content-Encoding": "gzip"}))
    with (
        loopback(script) as server,
        Transport(POLICY) as transport,
        pytest.raises(DownloadError, match="decompression bomb"),
    ):
        transport.get_text(f"{server.url}/folder/")
    assert len(server.seen) == 1
