"""Credentials: where they come from, that they stay bound to their host and out of sight."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from daxa.download import download
from daxa.download.credentials import Credentials, resolve_credentials
from daxa.errors import InputError

XSA = "https://nxsa.esac.esa.int/nxsa-sl/servlet"


def test_sources() -> None:
    assert resolve_credentials(("u", "p"), XSA) == Credentials(
        "u", "p", "nxsa.esac.esa.int", scheme="https", port=443, path="/nxsa-sl/servlet"
    )
    assert resolve_credentials({"user": "u", "password": "p"}, XSA).user == "u"  # type: ignore[union-attr]
    with pytest.raises(InputError, match="user"):
        resolve_credentials({"name": "u"}, XSA)
    with pytest.raises(InputError):
        resolve_credentials(("only-one",), XSA)  # type: ignore[arg-type]


def test_ini_sections(tmp_path: Path) -> None:
    ini = tmp_path / "creds.ini"
    ini.write_text(
        "[DEFAULT]\nuser = anyone\npassword = pw0\n"
        "[nxsa.esac.esa.int]\nuser = host-user\npassword = pw1\n"
        "[erosita_edr]\nuser = service-user\npassword = pw2\n"
    )
    assert resolve_credentials(ini, XSA).user == "host-user"  # type: ignore[union-attr]
    edr = resolve_credentials(ini, "https://erosita.mpe.mpg.de/edr", service="erosita_edr")
    assert edr is not None and edr.user == "service-user" and edr.host == "erosita.mpe.mpg.de"
    other = resolve_credentials(str(ini), "https://heasarc.gsfc.nasa.gov/FTP")
    assert other is not None and other.user == "anyone"
    with pytest.raises(InputError, match="does not exist"):
        resolve_credentials(tmp_path / "missing.ini", XSA)


def test_netrc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine nxsa.esac.esa.int login nuser password npw\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    found = resolve_credentials(None, XSA)
    assert found is not None and (found.user, found.password) == ("nuser", "npw")
    assert resolve_credentials(None, "https://heasarc.gsfc.nasa.gov/FTP") is None
    assert resolve_credentials(None, XSA, use_netrc=False) is None


def test_never_shown_or_saved() -> None:
    creds = Credentials("alice", "s3cret", "nxsa.esac.esa.int")
    assert "s3cret" not in repr(creds) and "s3cret" not in str(creds) and "s3cret" not in f"{creds}"
    with pytest.raises(TypeError):
        pickle.dumps(creds)
    with pytest.raises(TypeError):
        json.dumps(creds)


def test_bound_to_its_host() -> None:
    creds = Credentials("alice", "pw", "nxsa.esac.esa.int")
    assert creds.applies_to(XSA + "/data-action-aio?obsno=1")
    assert not creds.applies_to("https://nxsa.esac.esa.int.evil.org/")
    assert not creds.applies_to("https://heasarc.gsfc.nasa.gov/FTP/")
    assert not Credentials("a", "b").applies_to(XSA)  # unbound: never used


def test_proprietary_data_through_the_emulator(archive, tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    emu, tree = archive
    tree.protect("/xsa_aio", "alice", "s3cret")
    caplog.set_level("DEBUG")
    refused = download(
        "xmm_pointed", ["0201903501"], dest=tmp_path, progress=False, credentials=None
    )
    assert refused.failed and "HTTP 401" in refused.failed["0201903501"]
    assert "credentials" in refused.failed["0201903501"]

    wrong_host = Credentials("alice", "s3cret", "localhost")  # the emulator is 127.0.0.1
    report = download(
        "xmm_pointed", ["0201903501"], dest=tmp_path, progress=False, credentials=wrong_host
    )
    assert report.failed, "credentials for another host must not be sent"

    good = download(
        "xmm_pointed",
        ["0201903501"],
        dest=tmp_path,
        progress=False,
        credentials=("alice", "s3cret"),
    )
    assert good.ok == ["0201903501"]
    assert "s3cret" not in caplog.text and "s3cret" not in str(good)
    manifest = (tmp_path / "xmm_pointed" / "0201903501" / ".daxa-manifest.json").read_text()
    assert "s3cret" not in manifest and "alice" not in manifest
