"""Where a cached table came from, and a warning when that is not where daxa points now.

Every cache file records the service its table was fetched from (name and base URL, without
credentials) and whether that was daxa's emulator, which marks its answers
``X-Daxa-Emulator: synthetic``. A table fetched from the emulator and then read while daxa is
pointed at the real archives (or from one mirror, then read while using another) would
silently mix synthetic or stale data into real work: reading it warns, naming the file and the
fix.

>>> redact_url("https://user:secret@mirror.example:8443/tap")
'https://mirror.example:8443/tap'
"""

from __future__ import annotations

import os
import warnings
from urllib.parse import urlsplit

from daxa.errors import ProvenanceWarning
from daxa.urls import redact


def redact_url(url: str | None) -> str | None:
    """``url`` without user name and password (None stays None): :func:`daxa.urls.redact`."""
    return redact(url) if url else url


def is_loopback(url: str | None) -> bool:
    """True for URLs on this machine (where daxa's emulator runs)."""
    host = urlsplit(url or "").hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


def source_mismatch(service: str | None, cached_url: str | None, synthetic: bool) -> str | None:
    """The URL ``service`` points at now when it differs from where the table came from.

    None when they agree, when the file predates provenance, or when an emulator table is read
    while the service points at a loopback address again (the emulator picks a new port each
    run).
    """
    if service is None or cached_url is None:
        return None
    from daxa.config import DEFAULT_SERVICE_URLS, service_url

    if service not in DEFAULT_SERVICE_URLS:
        return None
    now = redact_url(service_url(service))
    if now == cached_url or (synthetic and is_loopback(now)):
        return None
    return now


def check_source(
    path: str | os.PathLike[str],
    mission: str,
    service: str | None,
    cached_url: str | None,
    synthetic: bool,
) -> None:
    """Warn (:class:`~daxa.errors.ProvenanceWarning`) when the table at ``path`` came from
    another service than the one configured now."""
    now = source_mismatch(service, cached_url, synthetic)
    if now is None:
        return
    origin = "daxa's synthetic emulator at " if synthetic else ""
    warnings.warn(
        f"{path} was filled from {origin}{cached_url}, but {service} now points at {now}; "
        f"run `daxa fetch {mission} --refresh` to cache the table from there",
        ProvenanceWarning,
        stacklevel=4,
    )
