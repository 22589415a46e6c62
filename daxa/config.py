"""Where daxa keeps its cache and which archive URLs it talks to.

Every URL can be changed per service (``DAXA_URL_<SERVICE>`` or :func:`set_service_url`), and
one setting points all of them at a mirror or at the local emulator (``DAXA_MIRROR`` or
:func:`use_mirror`): the mirror must serve each service under ``/<service name>/...``, as
``daxa.testing.ArchiveEmulator`` does.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from daxa.urls import origin, split_userinfo

#: The real services, by the name daxa uses for them.
DEFAULT_SERVICE_URLS: dict[str, str] = {
    "heasarc_tap": "https://heasarc.gsfc.nasa.gov/xamin/vo/tap",
    "heasarc_ftp": "https://heasarc.gsfc.nasa.gov/FTP",
    "xsa_tap": "https://nxsa.esac.esa.int/tap-server/tap",
    "xsa_aio": "https://nxsa.esac.esa.int/nxsa-sl/servlet",
    "erosita_edr": "https://erosita.mpe.mpg.de/edr/eROSITAObservations",
    "erosita_dr1": "https://erosita.mpe.mpg.de/dr1",
    "sesame": "https://cds.unistra.fr/cgi-bin/nph-sesame",
}

_overrides: dict[str, str] = {}
_mirror: list[str | None] = [None]


def _check_service(service: str) -> None:
    if service not in DEFAULT_SERVICE_URLS:
        from daxa.errors import InputError

        raise InputError(
            f"unknown service {service!r}; the services are: {', '.join(DEFAULT_SERVICE_URLS)}"
        )


def service_url(service: str) -> str:
    """The base URL daxa uses for ``service`` right now (no trailing slash).

    Precedence: :func:`set_service_url`, then ``DAXA_URL_<SERVICE>``, then the mirror
    (:func:`use_mirror` or ``DAXA_MIRROR``), then the real archive. A ``user:password@`` in
    the configured URL is taken out here (never stored, shown or logged) and sent only to that
    URL's own scheme, host and port (:func:`credentials_for`).

    >>> service_url("sesame")
    'https://cds.unistra.fr/cgi-bin/nph-sesame'
    """
    return split_userinfo(_configured_url(service))[0]


def credentials_for(url: str) -> tuple[str, str] | None:
    """The ``(user, password)`` a configured service URL carries for ``url``'s exact origin
    (scheme, host and port), or ``None``.

    >>> with mirror("http://u:pw@127.0.0.1:8765"):
    ...     credentials_for(service_url("heasarc_tap") + "/sync"), credentials_for("http://127.0.0.1:9/")
    (('u', 'pw'), None)
    """
    wanted = origin(url)
    for service in DEFAULT_SERVICE_URLS:
        configured, found = split_userinfo(_configured_url(service))
        if found is not None and origin(configured) == wanted:
            return found
    return None


def _configured_url(service: str) -> str:
    _check_service(service)
    if service in _overrides:
        return _overrides[service]
    env = os.environ.get(f"DAXA_URL_{service.upper()}")
    if env:
        return env.rstrip("/")
    mirror = _mirror[0] or os.environ.get("DAXA_MIRROR")
    if mirror:
        return f"{mirror.rstrip('/')}/{service}"
    return DEFAULT_SERVICE_URLS[service]


def set_service_url(service: str, url: str | None) -> None:
    """Point one service at ``url`` (``None`` removes the override)."""
    _check_service(service)
    if url is None:
        _overrides.pop(service, None)
    else:
        _overrides[service] = url.rstrip("/")


def use_mirror(base_url: str | None) -> None:
    """Point every service at ``base_url/<service>`` (``None`` goes back to the real archives)."""
    _mirror[0] = base_url.rstrip("/") if base_url else None


@contextmanager
def mirror(base_url: str) -> Iterator[None]:
    """Use a mirror inside a ``with`` block only."""
    previous = _mirror[0]
    use_mirror(base_url)
    try:
        yield
    finally:
        _mirror[0] = previous


def cache_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The cache folder: the argument, else ``DAXA_CACHE_DIR``, else ``./data_cache``."""
    if override is not None:
        return Path(override)
    env = os.environ.get("DAXA_CACHE_DIR")
    return Path(env) if env else Path("data_cache")


#: DAXA's module-level tables, built on first use by the facade (:mod:`daxa.mission`). Looked up
#: by name so this lowest layer imports nothing above it.
_DAXA_NAMES = {"EROSITA_CALPV_INFO": ("daxa.mission._compat", "erosita_calpv_info")}


def __getattr__(name: str) -> object:
    if name in _DAXA_NAMES:
        import importlib

        module, function = _DAXA_NAMES[name]
        return getattr(importlib.import_module(module), function)()
    raise AttributeError(f"module 'daxa.config' has no attribute {name!r}")
