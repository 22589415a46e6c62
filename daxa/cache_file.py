"""One cache file on disk: Parquet with page checksums and a hash of the whole file.

A cache table must never read back silently different. Each Parquet page carries a CRC
(``write_page_checksum``), and the daxa metadata in the footer holds the
SHA-256 of the *whole file* computed with that hash field blanked: the file is written once to
memory with a placeholder of the same length, hashed, and the placeholder overwritten, so any
changed byte anywhere (data pages, page headers, statistics, schema, our own metadata) fails
the check. A read takes the bytes through one open handle, so metadata, schema and data come
from the same version of the file even while another process renames a new one into place.
Hashing the 30 MB Swift table costs about 15 ms; checking the page CRCs too would double the
decode time, so they are checked on request (``verify_pages``) and by other Parquet readers.

>>> import pyarrow as pa
>>> blob = encode(pa.table({"x": [1, 2, 3]}), {"rows": 3})
>>> meta, table = decode(blob, "example")
>>> meta["rows"], table.height, len(meta[HASH_FIELD])
(3, 3, 64)
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from daxa.errors import CacheError

#: The footer key that holds daxa's metadata (JSON).
META_KEY = "daxa"
#: The metadata field with the SHA-256 of the file (computed with this field blanked).
HASH_FIELD = "content_sha256"
_PLACEHOLDER = "0" * 64
#: Rows per Parquet row group: small enough for HEALPix-range pruning in DuckDB.
ROW_GROUP_ROWS = 32_768


def encode(table: pa.Table, meta: dict[str, Any]) -> bytes:
    """The complete Parquet file for ``table`` with ``meta`` and its content hash."""
    meta = {**meta, HASH_FIELD: _PLACEHOLDER}
    sink = pa.BufferOutputStream()
    schema = table.schema.remove_metadata()
    with pq.ParquetWriter(
        sink, schema, compression="zstd", write_page_checksum=True, store_schema=True
    ) as writer:
        writer.write_table(table.replace_schema_metadata(None), row_group_size=ROW_GROUP_ROWS)
        writer.add_key_value_metadata({META_KEY: json.dumps(meta)})
    blob = bytearray(sink.getvalue().to_pybytes())
    where = _hash_position(blob, _PLACEHOLDER)
    digest = hashlib.sha256(blob).hexdigest()
    blob[where : where + 64] = digest.encode()
    return bytes(blob)


def read_meta(handle: Any, label: str) -> dict[str, Any]:
    """daxa's metadata from the footer of the open file ``handle`` (no data read)."""
    try:
        parquet = pq.ParquetFile(handle)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise CacheError(f"the cache file {label} is corrupt ({_reason(exc)})") from None
    return _meta_of(parquet, label)


def decode(
    blob: bytes, label: str, *, verify_pages: bool = False
) -> tuple[dict[str, Any], pl.DataFrame]:
    """Metadata and table of a cache file's bytes, after checking the whole-file hash.

    The hash covers every byte the page CRCs cover (and the footer, which they do not), so the
    default read decodes with polars, the fastest reader; ``verify_pages=True`` also decodes
    through pyarrow with every page CRC checked (about twice the time). Raises
    :class:`CacheError` naming ``label`` and what is wrong.
    """
    parquet, meta = open_footer(blob, label, verify_pages=verify_pages)
    check_hash(blob, meta, label)
    return meta, to_frame(parquet, blob, label, verify_pages=verify_pages)


def open_footer(
    blob: bytes, label: str, *, verify_pages: bool = False
) -> tuple[pq.ParquetFile, dict[str, Any]]:
    """The Parquet reader over ``blob`` and daxa's metadata from its footer."""
    try:
        parquet = pq.ParquetFile(pa.BufferReader(blob), page_checksum_verification=verify_pages)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise CacheError(f"the cache file {label} is corrupt ({_reason(exc)})") from None
    return parquet, _meta_of(parquet, label)


def check_hash(blob: bytes, meta: dict[str, Any], label: str) -> None:
    """Raise CacheError unless ``blob`` hashes to the value recorded in ``meta``."""
    stored = meta.get(HASH_FIELD)
    if not isinstance(stored, str) or len(stored) != 64:
        raise CacheError(
            f"the cache file {label} has no valid {HASH_FIELD!r} field in its metadata "
            "(written by an older daxa, or damaged)"
        )
    view = memoryview(blob)
    where = _hash_position(view, stored)
    hasher = hashlib.sha256(view[:where])
    hasher.update(_PLACEHOLDER.encode())
    hasher.update(view[where + 64 :])
    if hasher.hexdigest() != stored:
        raise CacheError(
            f"the cache file {label} is corrupt: its content does not match the {HASH_FIELD} "
            "recorded when it was written (a changed byte on disk)"
        )


def to_frame(
    parquet: pq.ParquetFile, blob: bytes, label: str, *, verify_pages: bool = False
) -> pl.DataFrame:
    """Decode the table (polars; pyarrow with page CRCs when ``verify_pages``)."""
    try:
        if verify_pages:
            frame = pl.from_arrow(parquet.read().replace_schema_metadata(None))
        else:
            frame = pl.read_parquet(blob)
    except Exception as exc:  # any reader failure on a damaged file is a corrupt cache
        raise CacheError(f"the cache file {label} is corrupt ({_reason(exc)})") from None
    assert isinstance(frame, pl.DataFrame)
    return frame


def _reason(exc: BaseException) -> str:
    """A reader's error on one line (pyarrow's end in newlines)."""
    return " ".join(str(exc).split())[:300]


def _meta_of(parquet: pq.ParquetFile, label: str) -> dict[str, Any]:
    raw = (parquet.metadata.metadata or {}).get(META_KEY.encode())
    if raw is None:
        raise CacheError(f"{label} was not written by daxa (no {META_KEY!r} metadata)")
    try:
        meta = json.loads(raw)
    except (ValueError, RecursionError):
        raise CacheError(f"the metadata of {label} is not valid JSON (damaged)") from None
    if not isinstance(meta, dict):
        raise CacheError(f"the metadata of {label} is a {type(meta).__name__}, not an object")
    return meta


def _hash_position(blob: bytes | bytearray | memoryview, value: str) -> int:
    """Offset of the hash value inside the footer's metadata JSON (its last occurrence)."""
    needle = f'"{HASH_FIELD}": "{value}"'.encode()
    footer_length = int.from_bytes(bytes(blob[-8:-4]), "little") if len(blob) >= 8 else 0
    start = max(0, len(blob) - 8 - footer_length)
    found = bytes(blob[start:]).rfind(needle)
    if found < 0:
        raise CacheError(f"the {HASH_FIELD} field is not where daxa writes it (damaged metadata)")
    return start + found + len(needle) - 65
