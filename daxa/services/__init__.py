"""Talking to the archives: one HTTP session, a TAP client, list fetchers, name resolution."""

from daxa.services.http import ArchiveSession, default_session
from daxa.services.tap import fetch_table, run_query

__all__ = ["ArchiveSession", "default_session", "fetch_table", "run_query"]
