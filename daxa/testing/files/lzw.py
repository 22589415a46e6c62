"""A Unix ``compress`` (LZW, ``.Z``) encoder, so the emulator can serve ROSAT-style files.

Only the emulator needs to *write* ``.Z`` files; daxa reads them with
:func:`daxa.download.unpack.lzw_decompress`. The output is what ``compress -b 16`` writes
without ever clearing the table (which ``uncompress`` and ``gzip -d`` accept).

>>> from daxa.download.unpack import lzw_decompress
>>> lzw_decompress(lzw_compress(b"TOBEORNOTTOBEORTOBEORNOT" * 50)) == b"TOBEORNOTTOBEORTOBEORNOT" * 50
True
"""

from __future__ import annotations

MAGIC = b"\x1f\x9d"


def _pack(codes: list[int], n_bits: int, pad: bool) -> bytes:
    """Codes of one width, LSB first, eight to a group of ``n_bits`` bytes.

    ``pad`` fills the last group to its full size (what compress writes before a width change);
    otherwise the last group ends at the last byte holding a code bit.
    """
    out = bytearray()
    for start in range(0, len(codes), 8):
        group = codes[start : start + 8]
        value = 0
        for i, code in enumerate(group):
            value |= code << (i * n_bits)
        size = n_bits if pad or len(group) == 8 else (len(group) * n_bits + 7) // 8
        out += value.to_bytes(size, "little")
    return bytes(out)


def lzw_compress(data: bytes, max_bits: int = 16, *, clear_when_full: bool = False) -> bytes:
    """Compress ``data`` into the ``.Z`` format (block mode).

    By default the table is never cleared; ``clear_when_full`` emits a CLEAR code each time the
    table fills up, as ``compress`` does when the ratio drops (useful with a small ``max_bits``
    to exercise a decoder's CLEAR handling).
    """
    if not 9 <= max_bits <= 16:
        raise ValueError("max_bits must be between 9 and 16")
    header = MAGIC + bytes([0x80 | max_bits])
    if not data:
        return header
    max_max = 1 << max_bits
    table: dict[tuple[int, int], int] = {}
    free = 257
    n_bits = 9
    pieces: list[bytes] = []
    pending: list[int] = []

    def emit(code: int) -> None:
        nonlocal n_bits, pending
        if free > (1 << n_bits) and n_bits < max_bits:
            pieces.append(_pack(pending, n_bits, pad=True))
            pending = []
            n_bits += 1
        pending.append(code)

    current = data[0]
    for byte in data[1:]:
        key = (current, byte)
        found = table.get(key)
        if found is not None:
            current = found
            continue
        emit(current)
        if free < max_max:
            table[key] = free
            free += 1
        elif clear_when_full:
            emit(256)
            pieces.append(_pack(pending, n_bits, pad=True))
            pending = []
            table.clear()
            free = 257
            n_bits = 9
        current = byte
    emit(current)
    pieces.append(_pack(pending, n_bits, pad=False))
    return header + b"".join(pieces)
