"""Names: J-names offline, Sesame through the local emulator (real HTTP), the name cache."""

from __future__ import annotations

import json
import warnings

import pytest

from daxa.errors import NameResolutionError, ServiceError, ServiceUnavailableError
from daxa.filters import FilterWarning, Names, filter_from_step
from daxa.filters._examples import observation_table
from daxa.services.http import ArchiveSession
from daxa.services.sesame import name_cache, parse_jname, parse_sesame_xml, resolve_names
from daxa.testing import emulated_archives

M87 = (187.70593076, 12.39112329)  # SIMBAD ICRS, to 1e-4 deg


@pytest.fixture
def emulator(tmp_path, monkeypatch):
    monkeypatch.setenv("DAXA_CACHE_DIR", str(tmp_path / "cache"))
    with emulated_archives() as emu:
        yield emu


@pytest.fixture
def quick_session():
    with ArchiveSession(retries=1, backoff=0.01, connect_timeout=2, read_timeout=5) as s:
        yield s


@pytest.mark.parametrize(
    ("name", "ra", "dec"),
    [
        (
            "CRTS SSS100805 J194428-420209",
            15 * (19 + 44 / 60 + 28 / 3600),
            -(42 + 2 / 60 + 9 / 3600),
        ),
        ("eFEDS J082626.6-003429", 15 * (8 + 26 / 60 + 26.6 / 3600), -(34 / 60 + 29 / 3600)),
        ("2XMM J000000.0+000000", 0.0, 0.0),
        (
            "SDSS_J123456.78+123456.7",
            15 * (12 + 34 / 60 + 56.78 / 3600),
            12 + 34 / 60 + 56.7 / 3600,
        ),
    ],
)
def test_jnames_parse_offline(name, ra, dec):
    got = parse_jname(name)
    assert got is not None
    assert got[0] == pytest.approx(ra, abs=1e-9) and got[1] == pytest.approx(dec, abs=1e-9)


@pytest.mark.parametrize("name", ["M87", "J2000", "PSR J0835", "J256060+000000", "J120000+950000"])
def test_not_jnames(name):
    assert parse_jname(name) is None


def test_jnames_need_no_service(monkeypatch):
    monkeypatch.setenv("DAXA_URL_SESAME", "http://127.0.0.1:9")  # nothing listens there
    (answer,) = resolve_names(["CRTS SSS100805 J194428-420209"], use_cache=False)
    assert answer.source == "jname" and answer.dec == pytest.approx(-42.0358333, abs=1e-6)


def test_sesame_through_the_emulator_and_the_cache(emulator):
    first = resolve_names(["M87", "not an object at all"])
    assert first[0].source == "sesame"
    assert (first[0].ra, first[0].dec) == pytest.approx(M87, abs=1e-4)
    assert first[1].source == "unresolved" and not first[1].ok
    asked = emulator.faults.requests("/sesame")
    again = resolve_names(["m87 "])  # case and spaces do not matter to the cache
    assert again[0].source == "cache" and (again[0].ra, again[0].dec) == (first[0].ra, first[0].dec)
    assert emulator.faults.requests("/sesame") == asked
    # unresolved names are asked again (Sesame may learn them), resolved ones never
    resolve_names(["not an object at all"])
    assert emulator.faults.requests("/sesame") == asked + 1
    # the cache file is keyed by the service URL, so emulator answers never pose as real ones
    stored = json.loads(name_cache().path.read_text())
    assert list(stored) == [emulator.service_url("sesame")]


def test_sesame_failures_are_service_errors(emulator, quick_session):
    emulator.faults.fail("/sesame", times=None, status=503)
    with pytest.raises(ServiceUnavailableError, match="sesame"):
        resolve_names(["Cyg X-1"], session=quick_session, use_cache=False)
    emulator.faults.reset()
    emulator.faults.html_error("/sesame", times=1)
    with pytest.raises(ServiceError, match="not XML|not <Sesame>"):
        resolve_names(["Cyg X-1"], session=quick_session, use_cache=False)


def test_parse_sesame_xml_nothing_found_and_found():
    body = b"""<?xml version="1.0" encoding="UTF-8"?><Sesame><Target option="SNV"><name>x</name>
    <INFO>*** Nothing found ***</INFO></Target><Target option="SNV"><name>M87</name>
    <Resolver name="S=Simbad"><jpos>12:30:49.42 +12:23:28.0</jpos><jradeg>187.70593076</jradeg>
    <jdedeg>12.39112329</jdedeg></Resolver></Target></Sesame>"""
    assert parse_sesame_xml(body, url="u") == [None, M87]


def test_names_filter_selects_near_resolved_objects(emulator):
    table = observation_table(
        "xmm_pointed", ra=[187.70, 83.63, 10.0], dec=[12.40, 22.01, 10.0]
    )  # M87, the Crab, nowhere
    flt = Names(["M87", "Crab"], radius=0.1)
    assert flt.mask(table, mission="xmm_pointed").to_list() == [True, True, False]
    found = flt.associate(table, mission="xmm_pointed")
    assert found.select("name", "obs_id").rows() == [("M87", "0000000000"), ("Crab", "0000000001")]


def test_unresolved_names_warn_or_raise(emulator):
    with pytest.warns(FilterWarning, match="'No Such Thing 42'"):
        flt = Names(["M87", "No Such Thing 42"], radius=[0.1, 5.0])
    assert flt.resolved_names == ("M87",)
    with pytest.raises(NameResolutionError, match="'No Such Thing 42'"):
        Names(["M87", "No Such Thing 42"], on_unresolved="raise")
    with pytest.raises(NameResolutionError, match="'No Such Thing 42'"):
        Names("No Such Thing 42")


def test_saved_names_replay_without_asking_sesame(emulator):
    flt = Names("M87", radius=0.5)
    params = json.loads(json.dumps(flt.params()))
    assert params["resolved"]["M87"] == pytest.approx(list(M87), abs=1e-4)
    emulator.faults.fail("/sesame", times=None, status=500)
    asked = emulator.faults.requests("/sesame")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        back = filter_from_step("name", params)
    assert back == flt and emulator.faults.requests("/sesame") == asked
