"""Read an article from a file or stdin into a Document (title, byline, blocks)."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from narrate.errors import InputError
from narrate.ingest.decode import decode_text
from narrate.ingest.markdown import looks_like_markdown, parse_markdown
from narrate.ingest.text import paragraphs
from narrate.models import Document

MAX_BYTES = 20 * 1024 * 1024
MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdown", ".mkd"}


def read_bytes(source: str, max_bytes: int = MAX_BYTES) -> bytes:
    """The raw bytes of ``source`` (a path, or ``-`` for stdin), within ``max_bytes``."""
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
        try:
            with path.open("rb") as handle:
                data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise InputError(f"{name}: cannot read ({exc.strerror})") from None
    if len(data) > max_bytes:
        raise InputError(
            f"{name} is larger than {max_bytes // (1024 * 1024)} MB; split it into articles first"
        )
    return data


def parse_document(text: str, source: str, digest: str) -> Document:
    suffix = Path(source).suffix.lower() if source != "-" else ""
    if suffix in MARKDOWN_SUFFIXES or (suffix == "" and looks_like_markdown(text)):
        parts = parse_markdown(text)
        return Document(
            title=parts.title,
            title_start=parts.title_start,
            blocks=tuple(parts.blocks),
            byline=parts.byline,
            date=parts.date,
            source=source,
            source_sha256=digest,
        )
    # Plain text has no markup for its title: the pipeline takes it from the first
    # block once boilerplate (a player label above the headline) is gone.
    return Document(title=None, blocks=tuple(paragraphs(text)), source=source, source_sha256=digest)


def read_document(source: str, max_bytes: int = MAX_BYTES) -> Document:
    data = read_bytes(source, max_bytes)
    name = "standard input" if source == "-" else source
    text = decode_text(data, name)
    return parse_document(text, source, hashlib.sha256(data).hexdigest())
