"""The completeness checks, the retry policy and URL redaction, as pure functions.

Every recorded real answer must pass whole and fail when cut; for FITS the only cuts that may
pass are those exactly at an HDU boundary, found independently with astropy.
"""

from __future__ import annotations

import email.utils
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from daxa.services import completeness
from daxa.services.retry import GaveUp, Retryable, RetryPolicy, run
from daxa.testing import shared_data_dir
from daxa.urls import quote_segment, redact, redact_text, split_userinfo


def _recorded() -> list[Path]:
    root = shared_data_dir()
    folder = root / "responses" if root is not None else None
    if folder is None or not folder.exists():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix != ".md")


def _check(body: bytes, name: str) -> str | None:
    kind = completeness.kind_of("", body[: completeness.TAIL], name)
    return completeness.problem(kind, lambda o, n: body[o : o + n], len(body))


def _cuts(size: int) -> list[int]:
    return sorted(
        {1, 10, size // 3, size // 2, size - 80, size - 11, size - 1, *range(7, size, 997)}
    )


@pytest.mark.parametrize("path", _recorded(), ids=lambda p: p.name)
def test_recorded_answers_pass_whole_and_fail_cut(path: Path) -> None:
    body = path.read_bytes()
    kind = completeness.kind_of("", body[: completeness.TAIL], path.name)
    assert kind is not None, "every recorded answer has an end daxa can check"
    assert _check(body, path.name) is None
    allowed = set(range(len(body.rstrip()), len(body)))  # only trailing whitespace lost
    if kind == "fits":
        from astropy.io import fits

        with fits.open(path) as hdus:
            allowed = {hdus.fileinfo(i)["hdrLoc"] for i in range(1, len(hdus))}  # HDU starts
    if kind == "csv":
        # blind spots: a cut at a row's end, or inside its last field (the row is as wide as
        # the header; lists such as eRASS1's end without a newline, so that must pass)
        start = 0
        for line in body.splitlines(keepends=True):
            last_comma = start + line.rfind(b",")
            allowed |= set(range(last_comma + 2, start + len(line) + 1))
            start += len(line)
    for cut in _cuts(len(body)):
        if cut in allowed:
            continue
        assert _check(body[:cut], path.name) is not None, f"a cut at {cut} of {len(body)} passed"


def test_fits_cut_at_an_hdu_boundary_is_the_known_blind_spot() -> None:
    paths = [p for p in _recorded() if p.name == "inst_filt.fits"]
    if not paths:
        pytest.skip("shared data not available")
    body = paths[0].read_bytes()
    assert completeness.fits_bytes_problem(body[: 2 * 2880]) is None  # a whole primary HDU
    assert completeness.fits_bytes_problem(body[: 3 * 2880]) is not None


def test_csv_row_counts_and_short_last_rows() -> None:
    body = b"a,b,c\n1,2,3\n4,5,6\n"
    assert completeness.csv_problem(body, expected_rows=2) is None
    assert completeness.csv_problem(body, expected_rows=3) == "2 rows where 3 were expected"
    assert completeness.csv_problem(b"a,b,c\n1,2,3\n4,5") is not None  # short last row
    assert completeness.csv_problem(b'a,b,c\n1,"x,y",3') is None  # quoted comma: 3 fields


def test_xml_root_and_comments() -> None:
    head = b'<?xml version="1.0"?>\n<!-- <Fake> -->\n<Sesame a="1"><Target/>'
    assert completeness.xml_problem(head, b"</Target>\n</Sesame>\n<!--- done -->\n") is None
    assert completeness.xml_problem(head, b"<Target>") == (
        "the XML document does not end with </Sesame>"
    )


# -- the retry policy --------------------------------------------------------------------------


def _waits(policy: RetryPolicy, problems: list[Retryable]) -> list[float]:
    waits: list[float] = []

    def attempt(n: int) -> str:
        if n < len(problems):
            raise problems[n]
        return "done"

    assert run(policy, attempt, url="http://h/x", sleep=waits.append) == "done"
    return waits


def test_backoff_doubles_and_is_capped() -> None:
    policy = RetryPolicy(retries=5, backoff=1.0, max_wait=5.0)
    assert _waits(policy, [Retryable("HTTP 503")] * 5) == [2.0, 4.0, 5.0, 5.0]  # first: at once


def test_retry_after_seconds_date_cap_and_garbage() -> None:
    policy = RetryPolicy(retries=4, backoff=0.0, max_wait=10.0)
    soon = email.utils.formatdate(time.time() + 3, usegmt=True)
    waits = _waits(
        policy,
        [
            Retryable("HTTP 503", retry_after="2"),
            Retryable("HTTP 503", retry_after=soon),
            Retryable("HTTP 429", retry_after="86400"),
            Retryable("HTTP 503", retry_after="soon-ish"),  # unreadable: plain backoff
        ],
    )
    assert waits[0] == 2 and 1 <= waits[1] <= 4 and waits[2] == 10
    assert len(waits) == 3  # the zero backoff wait is not slept


def test_gives_up_after_the_retries_with_the_last_problem() -> None:
    calls: list[int] = []

    def attempt(n: int) -> None:
        calls.append(n)
        raise Retryable(f"problem {n}")

    with pytest.raises(GaveUp, match="gave up after 3 attempts; last problem: problem 2"):
        run(RetryPolicy(retries=2, backoff=0.0), attempt, url="http://h/", sleep=lambda s: None)
    assert calls == [0, 1, 2]


def test_other_errors_end_the_loop_at_once() -> None:
    calls: list[int] = []

    def attempt(n: int) -> None:
        calls.append(n)
        raise KeyError("a 404 is an answer")

    with pytest.raises(KeyError):
        run(RetryPolicy(retries=3), attempt, url="http://h/", sleep=lambda s: None)
    assert calls == [0]


def test_statuses_retried() -> None:
    policy = RetryPolicy()
    assert all(policy.retries_status("POST", s, {}) for s in (429, 500, 502, 503, 504))
    assert not any(policy.retries_status("GET", s, {}) for s in (400, 401, 403, 404, 416))


# -- URLs --------------------------------------------------------------------------------------

_user = st.text(st.characters(blacklist_characters="/?#@:%", blacklist_categories=["Cs", "Cc", "Zs"]), min_size=1, max_size=12)  # fmt: skip
_password = st.text(st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=16)


@given(_user, _password)
def test_userinfo_never_survives_redaction(user: str, password: str) -> None:
    from urllib.parse import quote

    url = (
        f"https://{quote(user, safe='')}:{quote(password, safe='')}@mirror.example.org:8443/a/b?x=1"
    )
    clean, found = split_userinfo(url)
    assert found == (user, password)
    assert clean == redact(url) == "https://mirror.example.org:8443/a/b?x=1"
    text = redact_text(f"failed ({url}) after 3 attempts")
    assert text == "failed (https://mirror.example.org:8443/a/b?x=1) after 3 attempts"


def test_quoting_names() -> None:
    assert quote_segment("a#b c?d%e.fits") == "a%23b%20c%3Fd%25e.fits"
    assert quote_segment("P0112880101M1S001MIEVLI0000.FTZ") == "P0112880101M1S001MIEVLI0000.FTZ"
