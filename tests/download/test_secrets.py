"""A password given by any route never shows up anywhere daxa writes, logs, raises or prints.

Routes: ``user:password@`` in the mirror URL (``config.mirror``) and in a per-service URL
variable (``DAXA_URL_HEASARC_TAP``), a ``.netrc`` machine entry and a ``default`` entry (with
``DAXA_NETRC_DEFAULT=1``), and the ``credentials=`` argument. A fetch, SQL over the cache, a
download, a saved selection and failing requests run against the emulator, whose eROSITA
service is protected by that password (so the password did travel where it belongs); then
every file under the test's folders, every log record at DEBUG, and every error's text and
``repr`` are searched for it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import daxa
from daxa import cache, config
from daxa.download import download
from daxa.errors import DaxaError
from daxa.services import ArchiveSession

PASSWORD = "pw-Zq8x7!never-shown"
FAST = {"progress": False, "backoff": 0.01}


def _texts_of(error: BaseException) -> list[str]:
    return [str(error), repr(error), *(str(a) for a in error.args)]


def test_the_password_never_appears(  # type: ignore[no-untyped-def]
    archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    emu, tree = archive
    caplog.set_level(logging.DEBUG)
    host, port = emu.url.split("//")[1].split(":")
    secret_home = tmp_path / "secret-home"  # holds the netrc: the only file allowed to
    secret_home.mkdir()
    netrc = secret_home / "netrc"
    netrc.write_text(
        f"machine {host} login alice password {PASSWORD}\ndefault login alice password {PASSWORD}\n"
    )
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("DAXA_NETRC_DEFAULT", "1")
    monkeypatch.setenv("DAXA_URL_HEASARC_TAP", f"http://alice:{PASSWORD}@{host}:{port}/heasarc_tap")
    tree.protect("/erosita_edr", "alice", PASSWORD)
    work = tmp_path / "work"
    seen: list[str] = []

    with config.mirror(f"http://alice:{PASSWORD}@{host}:{port}"):
        # 1. fetch into the cache (the list is protected: the mirror's own credentials open it)
        table = cache.refresh("erosita_calpv", work / "cache")
        assert table.height > 0
        seen += [repr(table), str(cache.info("erosita_calpv", work / "cache"))]
        # 2. SQL over the cache, with the cached_missions view
        views = daxa.sql("SELECT * FROM cached_missions", cache_dir=work / "cache")
        seen += [str(views.to_dicts()), repr(views)]
        # 3. a saved selection
        selection = daxa.Selection("erosita_calpv", cache_dir=work / "cache")
        selection.save(work / "selection.json")
        seen.append(repr(selection))
        # 4. a download with explicit credentials, one with wrong ones (401), one failing (5xx)
        good = download("erosita_calpv", ["300007"], instruments=["TM7"], dest=work / "dl",
                        credentials=("alice", PASSWORD), **FAST)  # fmt: skip
        assert good.ok == ["300007"]
        seen += [str(good), repr(good), repr(good.results)]
        refused = download("erosita_calpv", ["300008"], dest=work / "dl2",
                           credentials=("alice", "wrong"), **FAST)  # fmt: skip
        assert "HTTP 401" in refused.failed["300008"]
        seen += [str(refused), repr(refused.results)]
        emu.faults.fail("/erosita_edr/CalPvObs", times=None, status=503)
        failed = download("erosita_calpv", ["300008"], dest=work / "dl3", retries=1,
                          credentials=("alice", PASSWORD), **FAST)  # fmt: skip
        assert failed.failed
        seen += [str(failed), repr(failed.results)]
        # 5. table fetches that fail: after retries, and with an error page
        emu.faults.fail("/heasarc_tap", times=None, status=503)
        with ArchiveSession(retries=1, backoff=0.01) as session:
            with pytest.raises(DaxaError) as unavailable:
                cache.refresh("swift", work / "cache", session=session)
            seen += _texts_of(unavailable.value)
            emu.faults.html_error("/erosita_edr/erosita_calpv_info.csv", times=None)
            with pytest.raises(DaxaError) as all_failed:
                cache.refresh("erosita_calpv", work / "cache", session=session)
            seen += _texts_of(all_failed.value)
            seen.append(repr(session))

    needle = PASSWORD.encode()
    files = [p for p in tmp_path.rglob("*") if p.is_file() and secret_home not in p.parents]
    names = {p.name for p in files}
    assert {"erosita_calpv.parquet", "selection.json", ".daxa-manifest.json"} <= names
    manifests = [p for p in files if p.name == ".daxa-manifest.json"]
    assert len(manifests) == 3 and all(b"/erosita_edr/" in p.read_bytes() for p in manifests)
    assert [str(p) for p in files if needle in p.read_bytes()] == []
    logged = [r.getMessage() for r in caplog.records]
    assert any("retrying" in m for m in logged)  # the retries were logged, with their URLs
    assert [m for m in logged if PASSWORD in m] == []
    assert [t for t in seen if PASSWORD in t] == []
    assert "alice" not in (work / "cache" / "erosita_calpv.parquet").read_bytes().decode("latin-1")
