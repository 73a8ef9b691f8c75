"""Bytes → text, or a clear InputError saying what is wrong with the bytes."""

from __future__ import annotations

import codecs

from narrate.errors import InputError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_TEXT_CONTROLS = {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1B}


def looks_binary(data: bytes) -> bool:
    """NUL bytes or many control bytes in the first 8 KiB mean this is not a text file."""
    head = data[:8192]
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 0x20 and b not in _TEXT_CONTROLS)
    return controls > max(4, len(head) // 100)


def decode_text(data: bytes, name: str) -> str:
    """Decode an article's bytes (UTF-8 with or without BOM, or UTF-16 with BOM).

    Newlines come out as ``\\n`` whatever the file used.
    """
    if not data.strip():
        raise InputError(f"{name} is empty")
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError as exc:
                raise InputError(f"{name} has a {codec} byte-order mark but is not valid {codec}") from exc
            break
    else:
        if looks_binary(data):
            raise InputError(f"{name} looks like a binary file, not text")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{name} is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                "convert it to UTF-8 first"
            ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise InputError(f"{name} contains NUL characters; it is not a text file")
    if not text.strip():
        raise InputError(f"{name} holds only whitespace")
    return text
