"""Bytes → text, or a clear InputError saying what is wrong with the bytes: the one home
of byte-order marks and charsets, for text files and HTML pages alike."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from narrate.errors import InputError

BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
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
    marked = from_bom(data, name)
    if marked is not None:
        text, used = marked
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


def from_bom(data: bytes, name: str) -> tuple[str, str] | None:
    """(text, encoding) when ``data`` starts with a byte-order mark; None when it has none."""
    for bom, codec in BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), display_name(codec)
            except UnicodeDecodeError:
                raise InputError(f"{name} has a {codec} byte-order mark but is not valid {codec}") from None
    return None


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


_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""",
    re.IGNORECASE,
)
# WHATWG: these labels mean windows-1252 in every browser; C1 bytes in a "Latin-1" page are
# curly quotes and dashes, not control characters.
_WINDOWS_1252_LABELS = {"iso8859-1", "ascii", "latin-1", "cp819", "iso-ir-100", "l1", "us-ascii"}


@dataclass(frozen=True)
class DecodedHtml:
    text: str
    encoding: str  # the encoding assumed, e.g. "utf-8", "windows-1252", "utf-16"
    origin: str  # how it was found: "byte-order mark", "declared", "utf-8", "detected", "text"


# --- HTML pages: bytes → text -------------------------------------------------------------------------


def decode_html(data: bytes, name: str) -> DecodedHtml:
    """Decode a page: BOM, then the page's own declaration, then UTF-8, then detection."""
    if not data.strip():
        raise InputError(f"{name} is empty")
    marked = from_bom(data, name)
    if marked is not None:
        return DecodedHtml(*marked, "byte-order mark")
    if looks_binary(data):
        raise InputError(f"{name} looks like a binary file, not an HTML page")
    declared = _declared_codec(data[:4096])
    if declared:
        text = try_decode(data, declared)
        if text is not None:
            return DecodedHtml(text, legacy_name(declared, data), "declared")
    text = try_decode(data, "utf-8")
    if text is not None:
        return DecodedHtml(text, "utf-8", "utf-8")
    text, encoding = detect(data, name, "HTML page")
    return DecodedHtml(text, encoding, "detected")


def _declared_codec(head: bytes) -> str | None:
    match = _META_CHARSET.search(head)
    if not match:
        return None
    label = (match.group(1) or match.group(2)).decode("ascii").lower()
    try:
        codec = codecs.lookup(label).name
    except LookupError:
        return None
    if codec in _WINDOWS_1252_LABELS or label in _WINDOWS_1252_LABELS:
        return "cp1252"
    # A page that says UTF-16 but has no BOM was (as browsers assume) saved as something else.
    return None if codec.startswith(("utf-16", "utf-32")) else codec
