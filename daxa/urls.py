"""URLs without secrets: the one place daxa strips ``user:password@`` and quotes path segments.

A mirror URL may carry credentials (``https://user:pw@mirror/``). They are split off once,
where the URL is configured (:func:`split_userinfo`), and every URL or message daxa stores,
prints or logs goes through :func:`redact` / :func:`redact_text`, so a password given that way
never reaches a manifest, the cache metadata, an error or a log line.

>>> redact("https://alice:s3cret@mirror.example.org:8443/heasarc_tap/sync?x=1")
'https://mirror.example.org:8443/heasarc_tap/sync?x=1'
>>> redact_text("failed: http://bob:pw@127.0.0.1:8765/xsa_aio/x (HTTP 503)")
'failed: http://127.0.0.1:8765/xsa_aio/x (HTTP 503)'
>>> quote_segment("a#b c?.fits")
'a%23b%20c%3F.fits'
"""

from __future__ import annotations

import re
import urllib.parse

#: ``scheme://userinfo@`` anywhere in a text, up to the authority's last ``@`` (a password
#: may hold an unescaped ``@``; the authority ends at ``/``, ``?``, ``#`` or whitespace).
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s?#]*@")
#: Characters allowed unquoted in a path segment (RFC 3986 ``pchar`` minus ``%``).
_PCHAR_SAFE = "!$&'()*+,;=:@~"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def redact(url: str) -> str:
    """``url`` without its ``user:password@`` part (everything else unchanged)."""
    if "@" not in url:
        return url
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def redact_text(text: str) -> str:
    """``text`` with the ``user:password@`` of every URL in it removed."""
    return _USERINFO.sub(r"\g<scheme>", text) if "@" in text else text


def split_userinfo(url: str) -> tuple[str, tuple[str, str] | None]:
    """``url`` without userinfo, and the ``(user, password)`` it carried (or ``None``).

    >>> split_userinfo("http://u:p%40ss@127.0.0.1:8765/")
    ('http://127.0.0.1:8765/', ('u', 'p@ss'))
    """
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    user = urllib.parse.unquote(parts.username or "")
    password = urllib.parse.unquote(parts.password or "")
    return redact(url), (user, password)


def origin(url: str) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` of ``url``, lower case, with the scheme's default port filled in.

    >>> origin("HTTPS://NXSA.esac.esa.int/x")
    ('https', 'nxsa.esac.esa.int', 443)
    """
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme)


def quote_segment(name: str) -> str:
    """One path segment (a file or folder name) quoted for a URL: ``#``, ``?``, ``%``, spaces."""
    return urllib.parse.quote(name, safe=_PCHAR_SAFE)


def quote_path(path: str) -> str:
    """A relative path quoted segment by segment (``/`` separates segments).

    >>> quote_path("0123/odf/a#1.FIT")
    '0123/odf/a%231.FIT'
    """
    return "/".join(quote_segment(segment) for segment in path.split("/"))
