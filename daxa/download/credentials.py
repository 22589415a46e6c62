"""Credentials for proprietary data: HTTP basic auth, bound to the archive's own host.

They come from the ``credentials`` argument — a ``(user, password)`` pair, a mapping with
``user`` and ``password``, a :class:`Credentials`, or the path of an ini file — or, when no
argument is given, from ``~/.netrc`` (``$NETRC``) for the archive's host. An ini file may have a
section per host (``[nxsa.esac.esa.int]``), per service (``[xsa_aio]``) or per mission
(``[xmm_pointed]``), falling back to ``[DEFAULT]``; each with ``user`` and ``password``.
A ``.netrc`` ``default`` entry (meant for any host) is used only when asked for:
``netrc_default=True`` or ``DAXA_NETRC_DEFAULT=1``.

Credentials are only ever sent to the service they were resolved for — its exact origin
(scheme, host and port) and the paths under its base URL — (the transfer engine checks every URL, and ``requests`` drops them on redirects to other
hosts); their ``repr`` hides the password, and they cannot be turned into JSON or pickled, so
they never end up in a log, a report or a saved selection.

>>> c = Credentials("alice", "s3cret", host="nxsa.esac.esa.int")
>>> c
Credentials(user='alice', password=***, host='nxsa.esac.esa.int')
>>> c.applies_to("https://nxsa.esac.esa.int/nxsa-sl/servlet/data-action-aio?obsno=1")
True
>>> c.applies_to("https://evil.example.org/")
False
>>> c.bound_to("https://nxsa.esac.esa.int/x").applies_to("http://nxsa.esac.esa.int/x")
False
"""

from __future__ import annotations

import configparser
import netrc
import os
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from daxa.errors import InputError
from daxa.urls import origin

NETRC_DEFAULT_ENV = "DAXA_NETRC_DEFAULT"


class Credentials:
    """A user name and password for one host (``host=None``: not yet bound to a host).

    ``scheme``, ``port`` and ``path`` narrow the binding to one service: its origin and the
    URLs under its base path (set when credentials are resolved for a service URL, so on a
    mirror that serves every archive from one host, XMM credentials still reach only the
    XSA's paths); left ``None`` they accept any scheme, port or path of ``host``.
    """

    __slots__ = ("_password", "host", "path", "port", "scheme", "user")

    def __init__(
        self,
        user: str,
        password: str,
        host: str | None = None,
        *,
        scheme: str | None = None,
        port: int | None = None,
        path: str | None = None,
    ) -> None:
        if not user or password is None:
            raise InputError("credentials need a non-empty user name and a password")
        self.user = str(user)
        self._password = str(password)
        self.host = host.lower() if host else None
        self.scheme = scheme.lower() if scheme else None
        self.port = port
        self.path = (path.rstrip("/") or None) if path else None

    @property
    def password(self) -> str:
        return self._password

    def bound_to(self, host_or_url: str) -> Credentials:
        """The same credentials, usable only for ``host_or_url`` (a URL binds its scheme and
        port too)."""
        if "://" in host_or_url:
            scheme, host, port = origin(host_or_url)
            path = urllib.parse.urlsplit(host_or_url).path
            return Credentials(self.user, self._password, host, scheme=scheme, port=port, path=path)
        return Credentials(self.user, self._password, host_or_url)

    def applies_to(self, url: str) -> bool:
        """True when ``url`` is on the origin these credentials belong to."""
        if self.host is None:
            return False
        scheme, host, port = origin(url)
        path = urllib.parse.urlsplit(url).path
        return (
            host == self.host
            and (self.scheme is None or scheme == self.scheme)
            and (self.port is None or port == self.port)
            and (self.path is None or path == self.path or path.startswith(self.path + "/"))
        )

    def auth(self) -> tuple[str, str]:
        """The ``(user, password)`` pair for ``requests``' basic auth."""
        return (self.user, self._password)

    def __repr__(self) -> str:
        return f"Credentials(user={self.user!r}, password=***, host={self.host!r})"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("Credentials cannot be pickled or saved; pass them again when needed")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Credentials):
            return NotImplemented
        mine = (self.user, self._password, self.host, self.scheme, self.port, self.path)
        return mine == (
            other.user,
            other._password,
            other.host,
            other.scheme,
            other.port,
            other.path,
        )

    def __hash__(self) -> int:
        return hash((self.user, self.host))


CredentialsArg = Credentials | tuple[str, str] | Mapping[str, str] | str | os.PathLike[str] | None


def host_of(url: str) -> str:
    """The lower-case host name of ``url``."""
    return (urllib.parse.urlsplit(url).hostname or "").lower()


def _from_ini(path: Path, sections: list[str]) -> Credentials | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        read = parser.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise InputError(f"cannot read the credentials file {path}: {exc}") from None
    if not read:
        raise InputError(f"the credentials file {path} does not exist or cannot be read")
    for section in sections:
        if parser.has_section(section):
            values = parser[section]
            if "user" in values and "password" in values:
                return Credentials(values["user"], values["password"])
    defaults = parser.defaults()
    if "user" in defaults and "password" in defaults:
        return Credentials(defaults["user"], defaults["password"])
    raise InputError(
        f"the credentials file {path} has no 'user' and 'password' for any of: "
        f"{', '.join(sections)} (nor in [DEFAULT])"
    )


def netrc_default_wanted(netrc_default: bool | None = None) -> bool:
    """Whether a ``.netrc`` ``default`` entry may be used (argument, else
    ``DAXA_NETRC_DEFAULT``)."""
    if netrc_default is not None:
        return netrc_default
    return os.environ.get(NETRC_DEFAULT_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def _from_netrc(host: str, *, use_default: bool = False) -> Credentials | None:
    try:
        parsed = netrc.netrc(os.environ.get("NETRC") or None)
    except (FileNotFoundError, netrc.NetrcParseError, OSError):
        return None
    found = parsed.hosts.get(host)
    if found is None and use_default:
        found = parsed.hosts.get("default")
    if not found:
        return None
    login, _account, password = found
    if not login or password is None:
        return None
    return Credentials(login, password)


def resolve_credentials(
    credentials: CredentialsArg,
    url: str,
    *,
    service: str | None = None,
    mission: str | None = None,
    use_netrc: bool = True,
    netrc_default: bool | None = None,
) -> Credentials | None:
    """Credentials for the archive at ``url``, bound to its origin; ``None`` when there are
    none. ``netrc_default`` allows a ``.netrc`` ``default`` entry (else
    ``DAXA_NETRC_DEFAULT=1``); a ``machine`` entry for the host is always used.

    >>> resolve_credentials(("bob", "pw"), "https://heasarc.gsfc.nasa.gov/FTP/").host
    'heasarc.gsfc.nasa.gov'
    """
    host = host_of(url)
    found: Credentials | None
    if credentials is None:
        wanted = netrc_default_wanted(netrc_default)
        found = _from_netrc(host, use_default=wanted) if use_netrc else None
    elif isinstance(credentials, Credentials):
        if credentials.host is not None:
            return credentials  # already bound: used for its own host only
        found = credentials
    elif isinstance(credentials, tuple):
        if len(credentials) != 2:
            raise InputError("credentials as a tuple must be (user, password)")
        found = Credentials(*credentials)
    elif isinstance(credentials, Mapping):
        try:
            found = Credentials(credentials["user"], credentials["password"])
        except KeyError:
            raise InputError("credentials as a mapping need 'user' and 'password' keys") from None
    elif isinstance(credentials, (str, os.PathLike)):
        sections = [s for s in (host, service, mission) if s]
        found = _from_ini(Path(credentials), sections)
    else:
        raise InputError(
            f"credentials must be (user, password), a mapping, an ini file path or None, "
            f"not {type(credentials).__name__}"
        )
    return found.bound_to(url) if found is not None else None
