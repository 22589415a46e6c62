"""The emulated CDS Sesame resolver over real HTTP."""

from __future__ import annotations

import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import polars as pl
import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from daxa.testing import ArchiveEmulator, shared_data_dir
from daxa.testing.sesame import Target, degrees_to_sexagesimal, sexagesimal_to_degrees

SHARED = shared_data_dir()

# SIMBAD ICRS positions in degrees, written down independently of the emulator's table
KNOWN = {
    "M87": (187.70593, 12.39112),
    "Crab": (83.63308, 22.01450),
    "Cas A": (350.850, 58.815),
    "Coma Cluster": (194.9529, 27.9806),
    "Abell 426": (49.9467, 41.5131),
    "Sgr A*": (266.41683, -29.00781),
    "M31": (10.68471, 41.26875),
    "Cyg X-1": (299.59032, 35.20161),
    "SN 1987A": (83.86662, -69.26974),
    "3C 273": (187.27792, 2.05239),
    "Her X-1": (254.45755, 35.34236),
}


@pytest.fixture(scope="module")
def emu() -> Iterator[ArchiveEmulator]:
    with ArchiveEmulator(samples_dir=SHARED / "samples" if SHARED else None) as emulator:
        yield emulator


def resolve(emu: ArchiveEmulator, *names: str, options: str = "-ox", resolvers: str = "~SNV"):
    query = "&".join(urllib.parse.quote(n) for n in names)
    answer = requests.get(f"{emu.service_url('sesame')}/{options}/{resolvers}?{query}", timeout=30)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/xml")
    return ET.fromstring(answer.content)


def position(target: ET.Element) -> tuple[float, float]:
    resolver = target.find("Resolver")
    assert resolver is not None
    return float(resolver.findtext("jradeg", "nan")), float(resolver.findtext("jdedeg", "nan"))


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_known_names_resolve_to_simbad_positions(emu: ArchiveEmulator, name: str) -> None:
    root = resolve(emu, name)
    assert root.tag == "Sesame"
    (target,) = root.findall("Target")
    assert target.findtext("name") == name
    ra, dec = position(target)
    assert ra == pytest.approx(KNOWN[name][0], abs=2e-4)  # within about an arcsecond
    assert dec == pytest.approx(KNOWN[name][1], abs=2e-4)
    resolver = target.find("Resolver")
    assert resolver is not None and resolver.get("name", "").startswith("Sc=Simbad")
    assert resolver.findtext("otype") and resolver.findtext("oname") and resolver.findtext("jpos")


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("m 87", "M87"),
        ("NGC4486", "M87"),
        ("crab nebula", "Crab"),
        ("M1", "Crab"),
        ("CASSIOPEIA A", "Cas A"),
        ("abell1656", "Coma Cluster"),
        ("ACO 426", "Abell 426"),
        ("sgra*", "Sgr A*"),
        ("Cygnus X-1", "Cyg X-1"),
    ],
)
def test_aliases_case_and_spaces(emu: ArchiveEmulator, alias: str, canonical: str) -> None:
    (target,) = resolve(emu, alias).findall("Target")
    assert position(target) == pytest.approx(KNOWN[canonical], abs=2e-4)


def test_unknown_name_has_the_nothing_found_shape(emu: ArchiveEmulator) -> None:
    (target,) = resolve(emu, "Definitely Not An Object 123").findall("Target")
    assert target.findtext("name") == "Definitely Not An Object 123"
    assert target.findtext("INFO") == "*** Nothing found ***"
    assert target.find("Resolver") is None
    assert target.find(".//jradeg") is None


def test_several_names_in_one_query(emu: ArchiveEmulator) -> None:
    targets = resolve(emu, "M31", "no such thing", "3C 273").findall("Target")
    assert [t.findtext("name") for t in targets] == ["M31", "no such thing", "3C 273"]
    assert targets[1].find("Resolver") is None
    assert position(targets[2]) == pytest.approx(KNOWN["3C 273"], abs=2e-4)


def test_oxp_and_alias_options(emu: ArchiveEmulator) -> None:
    (target,) = resolve(emu, "M87", options="-oxp", resolvers="SNV").findall("Target")
    assert position(target) == pytest.approx(KNOWN["M87"], abs=2e-4)
    (target,) = resolve(emu, "M87", options="-oxI").findall("Target")
    aliases = [a.text for a in target.iter("alias")]
    assert "NGC 4486" in aliases


def test_plus_encoded_spaces(emu: ArchiveEmulator) -> None:
    answer = requests.get(emu.service_url("sesame") + "/-ox/~SNV?Cas+A", timeout=30)
    target = ET.fromstring(answer.content).find("Target")
    assert target is not None and position(target) == pytest.approx(KNOWN["Cas A"], abs=2e-4)


def test_declination_is_signed_like_simbad(emu: ArchiveEmulator) -> None:
    body = requests.get(emu.service_url("sesame") + "/-ox/~SNV?M87", timeout=30).text
    assert "<jdedeg>+12.39112331</jdedeg>" in body
    assert "<jpos>12:30:49.42 +12:23:28.0</jpos>" in body


def test_non_xml_output_and_missing_name(emu: ArchiveEmulator) -> None:
    assert requests.get(emu.service_url("sesame") + "/-oI/A?M87", timeout=30).status_code == 404
    assert requests.get(emu.service_url("sesame") + "/-ox/~SNV", timeout=30).status_code == 400


def test_targets_can_be_added(emu: ArchiveEmulator) -> None:
    emu.sesame.add(Target("My Source", "X", 12.5, -33.25))
    (target,) = resolve(emu, "my source").findall("Target")
    assert position(target) == (12.5, -33.25)


@pytest.mark.skipif(SHARED is None, reason="shared data folder absent")
def test_supernovae_from_the_shared_sample(emu: ArchiveEmulator) -> None:
    assert SHARED is not None
    sn = pl.read_csv(SHARED / "samples" / "sn1a_samp.csv").row(0, named=True)
    name = f"{sn['name_prefix']} {sn['name']}"
    (target,) = resolve(emu, name).findall("Target")
    assert position(target) == pytest.approx((sn["ra"], sn["declination"]), abs=1e-8)
    (target,) = resolve(emu, "SN 2023ock").findall("Target")  # first row of the file
    assert position(target) == pytest.approx((232.4741304, 66.075011), abs=1e-8)


@pytest.mark.skipif(SHARED is None, reason="shared data folder absent")
def test_efeds_clusters_from_the_shared_sample(emu: ArchiveEmulator) -> None:
    (target,) = resolve(emu, "eFEDS J082626.6-003429").findall("Target")
    assert position(target) == pytest.approx((126.61079875, -0.57478657), abs=1e-7)


@given(ra=st.floats(0, 359.99), dec=st.floats(-89.99, 89.99, allow_nan=False, allow_infinity=False))
def test_sexagesimal_round_trip(ra: float, dec: float) -> None:
    back_ra, back_dec = sexagesimal_to_degrees(degrees_to_sexagesimal(ra, dec))
    assert abs(back_ra - ra) <= 0.005 * 15 / 3600 + 1e-9  # 0.01 s of time
    assert abs(back_dec - dec) <= 0.05 / 3600 + 1e-9  # 0.1 arcsec
