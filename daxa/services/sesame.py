"""Object names to coordinates: CDS Sesame, offline J-name parsing, and a cache of answers.

Names with embedded J2000 coordinates (``CRTS SSS100805 J194428-420209``,
``eFEDS J082626.6-003429``) are parsed offline; other names go to Sesame
(``{sesame}/-ox/~SNV?{name}``: SIMBAD, then NED, then VizieR) through daxa's HTTP session, and
each answer is remembered in a small JSON file in the cache folder, keyed by the Sesame URL in
use (so answers from a mirror or the local emulator never mix with the real service's).

>>> [round(x, 6) for x in parse_jname("CRTS SSS100805 J194428-420209")]
[296.116667, -42.035833]
>>> parse_jname("M87") is None
True
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from daxa.config import cache_dir as _cache_dir
from daxa.config import service_url
from daxa.errors import ServiceError
from daxa.services.http import ArchiveSession, default_session

log = logging.getLogger("daxa.services")

CACHE_FILE = "resolved_names.json"

# J + hhmmss(.s...) ± ddmmss(.s...), digits only; seconds may be left out (hhmm[.m]±ddmm[.m]).
_JNAME = re.compile(
    r"(?:^|[\s_])J(?P<h>\d{2})(?P<m>\d{2})(?P<s>\d{2}(?:\.\d+)?)?(?P<mfrac>\.\d+)?"
    r"(?P<sign>[+-])(?P<d>\d{2})(?P<dm>\d{2})(?P<ds>\d{2}(?:\.\d+)?)?(?P<dmfrac>\.\d+)?(?=$|[\s_])"
)


def parse_jname(name: str) -> tuple[float, float] | None:
    """(RA, Dec) in degrees from a J2000 designation inside ``name``, or None.

    Designations truncate rather than round, so the position is good to the last digit given
    (about an arcsecond for ``Jhhmmss±ddmmss``).
    """
    match = _JNAME.search(name.strip())
    if match is None:
        return None
    g = match.groupdict()
    if g["s"] is not None and g["mfrac"] is not None:
        return None
    hours, minutes = int(g["h"]), float(g["m"] + (g["mfrac"] or ""))
    seconds = float(g["s"]) if g["s"] else 0.0
    degrees = int(g["d"])
    arcmin = float(g["dm"] + (g["dmfrac"] or ""))
    arcsec = float(g["ds"]) if g["ds"] else 0.0
    if hours >= 24 or minutes >= 60 or seconds >= 60 or arcmin >= 60 or arcsec >= 60:
        return None
    ra = 15.0 * (hours + minutes / 60.0 + seconds / 3600.0)
    dec = degrees + arcmin / 60.0 + arcsec / 3600.0
    if dec > 90:
        return None
    return ra, -dec if g["sign"] == "-" else dec


@dataclass(frozen=True)
class Resolved:
    """One name's answer: ICRS degrees (None when unresolved) and where it came from."""

    name: str
    ra: float | None
    dec: float | None
    source: str  # "jname", "sesame", "cache" or "unresolved"

    @property
    def ok(self) -> bool:
        return self.ra is not None and self.dec is not None


#: Resolver preference, by the letter Sesame names each with (``S=Simbad``, ``N=NED``,
#: ``V=VizieR``): the order daxa asks in. An answer from all resolvers (option ``A``) lists
#: VizieR's coarse cached position (``184.73 +47.31`` for NGC 4258) before SIMBAD's.
_PREFERENCE = "SNV"


def _rank(resolver: ET.Element) -> int:
    letter = (resolver.get("name") or "?")[:1].upper()
    return _PREFERENCE.index(letter) if letter in _PREFERENCE else len(_PREFERENCE)


def parse_sesame_xml(body: bytes, *, url: str) -> list[tuple[float, float] | None]:
    """Positions of each ``<Target>`` in a Sesame ``-ox`` answer (None: nothing found).

    Each target's position comes from SIMBAD if it answered, else NED, else VizieR.
    """
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise ServiceError(
            f"Sesame answered with something that is not XML ({exc}); first bytes: {body[:80]!r}",
            service="sesame",
            url=url,
        ) from None
    if root.tag != "Sesame":
        raise ServiceError(
            f"Sesame answered with a <{root.tag}> document, not <Sesame>", service="sesame", url=url
        )
    out: list[tuple[float, float] | None] = []
    for target in root.iter("Target"):
        found = None
        for resolver in sorted(target.iter("Resolver"), key=_rank):
            ra, dec = resolver.findtext("jradeg"), resolver.findtext("jdedeg")
            if ra is not None and dec is not None:
                try:
                    found = (float(ra), float(dec))
                except ValueError:
                    continue
                break
        out.append(found)
    return out


class NameCache:
    """Resolved names on disk (JSON), keyed by Sesame base URL then by name; thread-safe."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._data: dict[str, dict[str, list[float]]] | None = None

    def _load(self) -> dict[str, dict[str, list[float]]]:
        if self._data is None:
            self._data = {}
            if self.path is not None and self.path.is_file():
                try:
                    self._data = json.loads(self.path.read_text())
                except (OSError, ValueError):
                    log.warning("ignoring unreadable name cache %s", self.path)
        return self._data

    def get(self, base_url: str, name: str) -> tuple[float, float] | None:
        with self._lock:
            hit = self._load().get(base_url, {}).get(_key(name))
        return (hit[0], hit[1]) if hit else None

    def put(self, base_url: str, answers: dict[str, tuple[float, float]]) -> None:
        if not answers:
            return
        with self._lock:
            data = self._load()
            data.setdefault(base_url, {}).update({_key(k): list(v) for k, v in answers.items()})
            if self.path is None:
                return
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".names.", suffix=".tmp")
                with os.fdopen(fd, "w") as handle:
                    json.dump(data, handle, indent=0, sort_keys=True)
                os.replace(tmp, self.path)
            except OSError as exc:
                log.warning("could not write the name cache %s: %s", self.path, exc)


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


_caches: dict[Path, NameCache] = {}
_caches_lock = threading.Lock()


def name_cache(cache_dir: str | os.PathLike[str] | None = None) -> NameCache:
    """The name cache of ``cache_dir`` (default: daxa's cache folder)."""
    path = (_cache_dir(cache_dir) / CACHE_FILE).resolve()
    with _caches_lock:
        if path not in _caches:
            _caches[path] = NameCache(path)
        return _caches[path]


def sesame_lookup(
    name: str, *, session: ArchiveSession | None = None
) -> tuple[float, float] | None:
    """Ask Sesame for one name; None when it knows nothing of it."""
    base = service_url("sesame")
    url = f"{base}/-ox/~SNV?{quote(name.strip(), safe='')}"
    answer = (session or default_session()).get(url, service="sesame")
    if answer.status != 200:
        raise ServiceError(
            f"Sesame answered HTTP {answer.status} for name {name!r}", service="sesame", url=url
        )
    targets = parse_sesame_xml(answer.body, url=url)
    return targets[0] if targets else None


def resolve_names(
    names: Iterable[str],
    *,
    parse: bool = True,
    session: ArchiveSession | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    use_cache: bool = True,
) -> list[Resolved]:
    """Resolve each name: J-name parsing (``parse``), then the cache, then Sesame.

    Unresolved names come back with ``ra``/``dec`` None; deciding whether that is an error is
    the caller's job. Service failures raise :class:`~daxa.errors.ServiceError`.
    """
    base = service_url("sesame")
    cache = name_cache(cache_dir) if use_cache else None
    out: list[Resolved] = []
    fresh: dict[str, tuple[float, float]] = {}
    for name in names:
        text = str(name)
        parsed = parse_jname(text) if parse else None
        if parsed is not None:
            out.append(Resolved(text, parsed[0], parsed[1], "jname"))
            continue
        hit = cache.get(base, text) if cache is not None else None
        if hit is not None:
            out.append(Resolved(text, hit[0], hit[1], "cache"))
            continue
        found = sesame_lookup(text, session=session)
        if found is None:
            out.append(Resolved(text, None, None, "unresolved"))
        else:
            fresh[text] = found
            out.append(Resolved(text, found[0], found[1], "sesame"))
    if cache is not None:
        cache.put(base, fresh)
    return out
