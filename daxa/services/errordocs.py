"""The service's own message in an error VOTable, whatever style the service words it in.

Services word errors in several ways, and the user needs the service's words (they say which
column or table is wrong). Seen in real answers and in the TAP/DALI standards:

- ``<INFO name="QUERY_STATUS" value="ERROR">message</INFO>`` (the message in the text),
- ``<INFO name="QUERY_STATUS" value="ERROR: message"/>`` or a sibling ``<INFO name="ERROR"
  value="message"/>`` (the message in a value attribute),
- ``<INFO name="ERROR">message</INFO>`` with no QUERY_STATUS at all (IRSA),
- any of these with an HTTP 4xx/5xx status.

>>> error_message(b'<VOTABLE><RESOURCE><INFO name="QUERY_STATUS" value="ERROR">'
...               b'no table &lt;x&gt;</INFO></RESOURCE></VOTABLE>')
'no table <x>'
>>> error_message(b'<VOTABLE><INFO name="ERROR"> "bad position" </INFO></VOTABLE>')
'bad position'
>>> error_message(b'<VOTABLE><RESOURCE><INFO name="QUERY_STATUS" value="OK"/></RESOURCE></VOTABLE>')
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from daxa.services.vofields import local

#: A QUERY_STATUS INFO in a document too damaged to parse as XML (attributes in any order).
_STATUS_TAG = re.compile(rb"<INFO\b[^>]*?QUERY_STATUS[^>]*>", re.IGNORECASE)
_ATTR = re.compile(rb"""\b(name|value)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)


def error_message(document: bytes) -> str | None:
    """The service's message when ``document`` is an error VOTable, else None.

    An error document with no words at all gives ``""``.
    """
    try:
        root = ET.fromstring(document)
    except ET.ParseError:
        return damaged_error_message(document)
    return error_message_of(root)


def error_message_of(root: ET.Element) -> str | None:
    """:func:`error_message` for a parsed document."""
    infos = [el for el in root.iter() if local(el.tag) == "INFO"]
    named = [((el.get("name") or "").strip().upper(), el) for el in infos]
    status = next((el for name, el in named if name == "QUERY_STATUS"), None)
    errors = [el for name, el in named if name == "ERROR"]
    if status is not None:
        value = (status.get("value") or "").strip()
        if not value.upper().startswith("ERROR"):
            return None
        candidates = [status.text, value[5:]]
    elif errors:
        candidates = []
    else:
        return None
    for el in errors:
        candidates += [el.text, el.get("value")]
    for text in candidates:
        cleaned = clean(text)
        if cleaned:
            return cleaned
    return ""


def damaged_error_message(document: bytes) -> str | None:
    match = _STATUS_TAG.search(document)
    if match is None:
        return None
    attrs = {m[1].lower(): (m[2] or m[3]) for m in _ATTR.finditer(match.group(0))}
    value = attrs.get(b"value", b"").decode(errors="replace").strip()
    if not value.upper().startswith("ERROR"):
        return None
    end = document.find(b"</INFO>", match.end())
    text = document[match.end() : end].decode(errors="replace") if end > 0 else ""
    return clean(text) or clean(value[5:]) or ""


def clean(text: str | None) -> str:
    """Whitespace collapsed, and the quotes some services wrap the message in removed."""
    words = " ".join((text or "").split()).strip(" :-")
    if len(words) >= 2 and words[0] == words[-1] and words[0] in "\"'":
        words = words[1:-1].strip()
    return words
