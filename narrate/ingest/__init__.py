"""Read an article from a file or stdin into a Document (title, byline, blocks)."""

from __future__ import annotations

import codecs
import hashlib
import re
import sys
from dataclasses import replace
from pathlib import Path

from narrate.errors import InputError
from narrate.ingest.decode import decode
from narrate.ingest.frontmatter import AUTHOR_KEYS, DATE_KEYS, TITLE_KEYS, split_front_matter
from narrate.ingest.markdown import looks_like_markdown, parse_markdown
from narrate.ingest.text import paragraphs
from narrate.models import Block, Document

MAX_BYTES = 20 * 1024 * 1024
MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdown", ".mkd"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
_HTML_START = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>]|head[\s>]|\?xml)", re.I | re.S
)


def looks_like_html(data: bytes) -> bool:
    head = data[:2048]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        head = head.decode("utf-16", "ignore").encode("utf-8")
    return bool(_HTML_START.match(head))


def read_bytes(source: str, max_bytes: int = MAX_BYTES) -> bytes:
    """The raw bytes of ``source`` (a path, or ``-`` for stdin), within ``max_bytes``."""
    too_big = False
    if source == "-":
        data = sys.stdin.buffer.read(max_bytes + 1)
        name = "standard input"
    else:
        path = Path(source)
        name = str(path)
        if not path.exists():
            raise InputError(f"{name}: no such file")
        if path.is_dir():
            raise InputError(f"{name} is a directory, not an article file")
        too_big = path.is_file() and path.stat().st_size > max_bytes  # refused without reading it
        try:
            data = b"" if too_big else _read(path, max_bytes + 1)
        except OSError as exc:
            raise InputError(f"{name}: cannot read ({exc.strerror})") from None
    if too_big or len(data) > max_bytes:
        raise InputError(
            f"{name} is larger than {max_bytes // (1024 * 1024)} MB; split it into articles first"
        )
    return data


def _read(path: Path, limit: int) -> bytes:
    with path.open("rb") as handle:
        return handle.read(limit)


def parse_document(text: str, source: str, digest: str) -> Document:
    suffix = Path(source).suffix.lower() if source != "-" else ""
    front = split_front_matter(text)  # metadata, never read aloud
    text = front.text
    if suffix in MARKDOWN_SUFFIXES or (suffix == "" and looks_like_markdown(text)) or front.fields:
        parts = parse_markdown(text)
        title, blocks = parts.title, list(parts.blocks)
        if (given := front.first(TITLE_KEYS)) is not None:
            if title is not None and title.casefold() != given.casefold():
                blocks.insert(0, Block("heading", title, parts.title_start, 1))
            title = given
        return Document(
            title=title,
            title_start=parts.title_start,
            blocks=tuple(blocks),
            byline=front.first(AUTHOR_KEYS) or parts.byline,
            date=front.first(DATE_KEYS) or parts.date,
            source=source,
            source_sha256=digest,
        )
    # Plain text has no markup for its title: the pipeline takes it from the first
    # block once boilerplate (a player label above the headline) is gone.
    return Document(title=None, blocks=tuple(paragraphs(text)), source=source, source_sha256=digest)


def read_document(source: str, max_bytes: int = MAX_BYTES, encoding: str = "utf-8") -> Document:
    """A Document from a path or ``-``: HTML (by suffix, or sniffed on stdin), Markdown
    or plain text. ``encoding``: "utf-8" (strict: anything else is an error that says
    where), "auto" (UTF-8, else detected), or a codec name."""
    data = read_bytes(source, max_bytes)
    digest = hashlib.sha256(data).hexdigest()
    suffix = Path(source).suffix.lower() if source != "-" else ""
    if suffix in HTML_SUFFIXES or (source == "-" and looks_like_html(data)):
        from narrate.ingest.html import read_html  # trafilatura is heavy: only for HTML

        article = read_html(data, source, digest)
        return replace(article.document, encoding=article.encoding)
    name = "standard input" if source == "-" else source
    text, used = decode(data, name, encoding)
    return replace(parse_document(text, source, digest), encoding=used)
