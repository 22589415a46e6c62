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
    (:func:`use_mirror` or ``DAXA_MIRROR``), then the real archive.

    >>> service_url("sesame")
    'https://cds.unistra.fr/cgi-bin/nph-sesame'
    """
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
