"""Bytes → text, or a clear InputError saying what is wrong with the bytes."""

from __future__ import annotations

import codecs
import re

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


_DISPLAY = {"iso8859-1": "iso-8859-1", "utf-8-sig": "utf-8"}


def legacy_name(codec: str, data: bytes) -> str:
    """A "Latin-1" page is read as windows-1252; it is reported as ISO-8859-1 when the two agree."""
    if codec == "cp1252" and not re.search(rb"[\x80-\x9f]", data):
        return "iso-8859-1" if re.search(rb"[\xa0-\xff]", data) else "ascii"
    return display_name(codec)


def try_decode(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; WHATWG maps them to the C1 controls, as Latin-1 does.
        return data.decode("latin-1") if codec == "cp1252" else None


def detect(data: bytes, name: str, what: str = "file") -> tuple[str, str]:
    """(text, encoding) of bytes that are not UTF-8, found with charset-normalizer; the
    commonest legacy encoding, windows-1252, wins a tie (same text, likelier label)."""
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is None:
        raise InputError(f"{name}: cannot tell which text encoding this {what} uses; convert it to UTF-8")
    text = try_decode(data, best.encoding)
    if text is None:
        raise InputError(f"{name} is not valid {display_name(best.encoding)} text; convert it to UTF-8")
    if best.encoding != "cp1252" and try_decode(data, "cp1252") == text:
        return text, legacy_name("cp1252", data)
    return text, display_name(best.encoding)


def display_name(codec: str) -> str:
    name = codecs.lookup(codec).name
    if re.fullmatch(r"cp125\d", name):
        return "windows-" + name[2:]
    return _DISPLAY.get(name, name)


def decode_text(data: bytes, name: str, encoding: str = "utf-8") -> str:
    """Decode an article's bytes: a BOM (UTF-8, UTF-16) wins; otherwise ``encoding`` —
    "utf-8" (strict: anything else is an error naming the first bad byte), "auto"
    (UTF-8, else detected), or a codec name. Newlines come out as ``\\n``."""
    return decode(data, name, encoding)[0]


def decode(data: bytes, name: str, encoding: str = "utf-8") -> tuple[str, str]:
    """Like decode_text, and says which encoding was assumed."""
    if not data.strip():
        raise InputError(f"{name} is empty")
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text, used = data.decode(codec), display_name(codec)
            except UnicodeDecodeError as exc:
                raise InputError(f"{name} has a {codec} byte-order mark but is not valid {codec}") from exc
            break
    else:
        if looks_binary(data):
            raise InputError(f"{name} looks like a binary file, not text")
        text, used = _decode_plain(data, name, encoding)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise InputError(f"{name} contains NUL characters; it is not a text file")
    if not text.strip():
        raise InputError(f"{name} holds only whitespace")
    return text, used


def _decode_plain(data: bytes, name: str, encoding: str) -> tuple[str, str]:
    if encoding not in ("utf-8", "auto"):
        try:
            return data.decode(encoding), display_name(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise InputError(f"{name} is not valid {encoding} text ({exc})") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        if encoding == "auto":
            return detect(data, name)
        raise InputError(
            f"{name} is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "convert it to UTF-8 first, or pass --encoding auto (or the encoding's name)"
        ) from None
