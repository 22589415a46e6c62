"""The CDS Sesame name resolver, emulated: the same XML answer for known and unknown names.

Known names are a built-in list of well-known X-ray targets with their SIMBAD (ICRS, J2000)
positions, plus, when the shared sample files are present, the Type Ia supernovae of
``samples/sn1a_samp.csv`` ("SN 2023ock") and the eFEDS cluster candidates of
``samples/efeds_xray_cluster_candidates.csv`` ("eFEDS J082626.6-003429"). Matching ignores
case and spaces, as Sesame does.

>>> catalogue = SesameCatalogue(samples_dir=None)
>>> m87 = catalogue.lookup("m 87")
>>> round(m87.ra, 4), round(m87.dec, 4)
(187.7059, 12.3911)
>>> b"<jradeg>187.70593075</jradeg>" in sesame_xml(["M87"], catalogue)
True
>>> b"*** Nothing found ***" in sesame_xml(["not an object"], catalogue)
True
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import polars as pl


@dataclass(frozen=True)
class Target:
    """One resolvable object: its main SIMBAD-style name, type, position (deg) and aliases."""

    oname: str
    otype: str
    ra: float
    dec: float
    aliases: tuple[str, ...] = ()


def sexagesimal_to_degrees(position: str) -> tuple[float, float]:
    """``"hh:mm:ss.s +dd:mm:ss"`` to (RA, Dec) in degrees.

    >>> [round(x, 6) for x in sexagesimal_to_degrees("12:30:49.42 +12:23:28.0")]
    [187.705917, 12.391111]
    """
    ra_text, dec_text = position.split()
    h, m, s = (float(x) for x in ra_text.split(":"))
    sign = -1.0 if dec_text.startswith("-") else 1.0
    d, dm, ds = (float(x) for x in dec_text.lstrip("+-").split(":"))
    return 15.0 * (h + m / 60 + s / 3600), sign * (d + dm / 60 + ds / 3600)


def degrees_to_sexagesimal(ra: float, dec: float) -> str:
    """(RA, Dec) in degrees to Sesame's ``<jpos>`` text.

    >>> degrees_to_sexagesimal(187.70591666666667, 12.391111111111112)
    '12:30:49.42 +12:23:28.0'
    """
    total = round(ra / 15.0 * 3600 * 100) % (24 * 360000)
    h, rest = divmod(total, 360000)
    m, cs = divmod(rest, 6000)
    sign = "-" if dec < 0 else "+"
    tenths = round(abs(dec) * 36000)
    d, rest = divmod(tenths, 36000)
    dm, ds = divmod(rest, 600)
    return f"{h:02d}:{m:02d}:{cs / 100:05.2f} {sign}{d:02d}:{dm:02d}:{ds / 10:04.1f}"


# (SIMBAD main name, object type, ICRS J2000 position, aliases)
_WELL_KNOWN: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("M  87", "AGN", "12:30:49.42338 +12:23:28.0439", ("M87", "Messier 87", "NGC 4486", "Virgo A")),
    ("M   1", "SNR", "05:34:31.94 +22:00:52.2", ("M1", "Crab", "Crab Nebula", "NGC 1952", "Tau A")),
    ("NAME Cassiopeia A", "SNR", "23:23:24.00 +58:48:54.0", ("Cas A", "Cassiopeia A", "3C 461")),
    ("ACO 1656", "ClG", "12:59:48.7 +27:58:50", ("Coma Cluster", "Abell 1656", "Coma")),
    ("ACO  426", "ClG", "03:19:47.2 +41:30:47", ("Perseus Cluster", "Abell 426", "ACO 426")),
    ("NAME Sgr A*", "BH", "17:45:40.03599 -29:00:28.1699", ("Sgr A*", "Sagittarius A*")),
    ("M  51", "Sy2", "13:29:52.698 +47:11:42.93", ("M51", "Whirlpool Galaxy", "NGC 5194")),
    ("ACO  3158", "ClG", "03:42:52.9 -53:37:52", ("A3158", "Abell 3158", "ACO 3158")),
    ("M  31", "AGN", "00:42:44.330 +41:16:07.50", ("M31", "Andromeda Galaxy", "NGC 224")),
    (
        "V* V1357 Cyg",
        "HXB",
        "19:58:21.67574 +35:12:05.7845",
        ("Cyg X-1", "Cygnus X-1", "HD 226868"),
    ),
    ("SN 1987A", "SN", "05:35:27.9875 -69:16:11.107", ("SN1987A",)),
    ("3C 273", "QSO", "12:29:06.69974 +02:03:08.5982", ("PG 1226+023",)),
    (
        "PSR B0833-45",
        "Psr",
        "08:35:20.65525 -45:10:35.1545",
        ("Vela Pulsar", "Vela", "PSR J0835-4510"),
    ),
    ("V* HZ Her", "HXB", "16:57:49.8110 +35:20:32.486", ("Her X-1", "Hercules X-1", "HZ Her")),
    ("NGC  5128", "Sy2", "13:25:27.61507 -43:01:08.8053", ("Cen A", "Centaurus A", "NGC 5128")),
    ("V* V818 Sco", "LXB", "16:19:55.09 -15:38:24.8", ("Sco X-1", "Scorpius X-1")),
    ("M  82", "SBG", "09:55:52.43 +69:40:46.9", ("M82", "NGC 3034", "Cigar Galaxy")),
    ("NGC  1275", "SyG", "03:19:48.16 +41:30:42.1", ("NGC 1275", "Perseus A", "3C 84")),
    ("Mrk  421", "BLL", "11:04:27.31394 +38:12:31.7991", ("Mrk 421", "Markarian 421")),
    ("* eta Car", "LBV", "10:45:03.55 -59:41:03.9", ("Eta Car", "Eta Carinae")),
    ("NGC  4151", "Sy1", "12:10:32.57922 +39:24:20.6329", ("NGC 4151",)),
    ("V* V821 Ara", "LXB", "17:02:49.38 -48:47:23.2", ("GX 339-4",)),
    ("NAME LMC", "G", "05:23:34.6 -69:45:22", ("LMC", "Large Magellanic Cloud")),
    ("NAME SMC", "G", "00:52:38.0 -72:48:01", ("SMC", "Small Magellanic Cloud")),
)

_RESOLVERS = {
    "S": "Sc=Simbad (CDS, via client/server)",
    "N": "N=NED (ipac.caltech.edu)",
    "V": "V=VizieR (CDS)",
    "A": "A=Simbad (CDS)",
}


def normalise_name(name: str) -> str:
    """The lookup key of a name: case-folded, without spaces.

    >>> normalise_name("  sgr  A* ") == normalise_name("SGRA*")
    True
    """
    return re.sub(r"\s+", "", name).casefold()


def well_known_targets() -> list[Target]:
    """The built-in objects (about twenty bright X-ray targets)."""
    targets = []
    for oname, otype, position, aliases in _WELL_KNOWN:
        ra, dec = sexagesimal_to_degrees(position)
        targets.append(Target(oname, otype, ra, dec, aliases))
    return targets


def sample_targets(samples_dir: Path) -> list[Target]:
    """Supernovae and eFEDS clusters from the shared sample tables (missing files: none)."""
    targets: list[Target] = []
    sn_file = samples_dir / "sn1a_samp.csv"
    if sn_file.is_file():
        sn = pl.read_csv(sn_file, columns=["name_prefix", "name", "ra", "declination"])
        sn = sn.drop_nulls()
        names = (sn["name_prefix"] + " " + sn["name"]).to_list()
        for name, ra, dec in zip(
            names, sn["ra"].to_list(), sn["declination"].to_list(), strict=True
        ):
            targets.append(Target(name, "SN*", float(ra), float(dec)))
    cluster_file = samples_dir / "efeds_xray_cluster_candidates.csv"
    if cluster_file.is_file():
        cl = pl.read_csv(cluster_file, columns=["ID", "RA", "DEC"]).drop_nulls()
        for name, ra, dec in zip(
            cl["ID"].to_list(), cl["RA"].to_list(), cl["DEC"].to_list(), strict=True
        ):
            targets.append(Target(name, "ClG", float(ra), float(dec)))
    return targets


class SesameCatalogue:
    """Names the emulated Sesame knows; the sample files are read on first use."""

    def __init__(self, samples_dir: Path | None, extra: list[Target] | None = None) -> None:
        self.samples_dir = samples_dir
        self._extra = list(extra or [])
        self._index: dict[str, Target] | None = None
        self._lock = threading.Lock()

    def _build(self) -> dict[str, Target]:
        targets = well_known_targets() + self._extra
        if self.samples_dir is not None:
            targets += sample_targets(self.samples_dir)
        index: dict[str, Target] = {}
        for target in targets:
            for name in (target.oname, *target.aliases):
                index.setdefault(normalise_name(name), target)
        return index

    def lookup(self, name: str) -> Target | None:
        """The object called ``name``, or None."""
        with self._lock:
            if self._index is None:
                self._index = self._build()
            return self._index.get(normalise_name(name))

    def add(self, target: Target) -> None:
        """Make one more object resolvable (tests can add their own)."""
        with self._lock:
            self._extra.append(target)
            self._index = None


def sesame_xml(
    names: list[str], catalogue: SesameCatalogue, option: str = "SNV", aliases: bool = False
) -> bytes:
    """Sesame's XML answer (``-ox``) for ``names``: one ``<Target>`` per name.

    A found name gets a ``<Resolver>`` with ``otype``, ``jpos``, ``jradeg``, ``jdedeg`` and
    ``oname`` (and ``<alias>`` elements with ``aliases``); an unknown one gets
    ``<INFO>*** Nothing found ***</INFO>`` and no position, as the real service answers.
    """
    letters = [c for c in option.upper() if c in _RESOLVERS] or ["S"]
    resolver = _RESOLVERS[letters[0]]
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<?xml-stylesheet type="text/xsl" href="http://cdsweb.u-strasbg.fr/xslt/sesame.xsl"?>\n'
        '<Sesame xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:noNamespaceSchemaLocation="http://vizier.u-strasbg.fr/xml/sesame_4x.xsd">\n'
    ]
    for number, name in enumerate(names, start=1):
        query_id = zlib.crc32(name.encode()) % 100_000_000
        parts.append(
            f"<Target option={quoteattr(option)}>\n<name>{escape(name)}</name>\n"
            f"<!--  Q{query_id} #{number}  -->\n"
        )
        target = catalogue.lookup(name)
        if target is None:
            parts.append("<INFO>*** Nothing found ***</INFO>\n</Target>\n")
            continue
        parts.append(
            f"<Resolver name={quoteattr(resolver)}>\n<!-- delay: 1ms [1]  -->\n"
            f"<INFO>from cache</INFO>\n"
            f"<otype>{escape(target.otype)}</otype>\n"
            f"<jpos>{degrees_to_sexagesimal(target.ra, target.dec)}</jpos>\n"
            f"<jradeg>{target.ra:.8f}</jradeg>\n"
            f"<jdedeg>{target.dec:+.8f}</jdedeg>\n"
            f"<oname>{escape(target.oname)}</oname>\n"
        )
        if aliases:
            parts.extend(f"<alias>{escape(a)}</alias>\n" for a in target.aliases)
        parts.append("</Resolver>\n</Target>\n")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%b-%d,%H:%M:%Sz")
    parts.append(f"</Sesame>\n<!-- - ====Done ({stamp})====  -->\n")
    return "".join(parts).encode()
