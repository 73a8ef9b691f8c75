"""EPUB 3 with Media Overlays: one or more narrations as one book, a chapter each — the
article as XHTML, its audio inside, a SMIL overlay that synchronises them sentence by
sentence (or word by word), ``media:duration`` and ``media:active-class`` metadata and the
EPUB Accessibility 1.1 discovery metadata (``schema:accessMode`` …).

Written with zipfile: the ``mimetype`` entry first and stored, the audio stored (it is
compressed already), the rest deflated. Core media types only: MP3 and AAC (M4A) audio.
"""

from __future__ import annotations

import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path

from narrate.errors import UsageError
from narrate.export.manifest import Manifest
from narrate.readalong import epub_docs as docs
from narrate.readalong.align import sentences
from narrate.readalong.page import byline

AUDIO_TYPES = {"mp3": "audio/mpeg", "m4a": "audio/mp4"}  # EPUB 3's core audio media types
_EPOCH = (1980, 1, 1, 0, 0, 0)  # every entry's date: the same book makes the same bytes


def _entry(name: str, compress: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, _EPOCH)
    info.compress_type = compress
    info.external_attr = 0o644 << 16  # rw-r--r-- when unpacked
    return info


@dataclass(frozen=True)
class Narration:
    """One finished narration: its manifest and its audio file."""

    manifest: Manifest
    audio: Path


def audio_type(fmt: str | None) -> str:
    """The media type of a narration's audio, when an EPUB may hold it."""
    if fmt not in AUDIO_TYPES:
        raise UsageError(f"an EPUB holds MP3 or M4A audio, not {fmt}; narrate with --format mp3 or m4a")
    return AUDIO_TYPES[fmt]


def chapters_of(narrations: list[Narration], word_level: bool) -> list[docs.ChapterText]:
    found = []
    for number, narration in enumerate(narrations, 1):
        manifest = narration.manifest
        audio_type(manifest.audio.format)
        title = manifest.source.title or Path(manifest.source.path).stem or f"Chapter {number}"
        found.append(docs.ChapterText(
            number, title, byline(manifest), manifest.disclosure(), tuple(sentences(manifest)),
            f"chapter-{number:03d}.{manifest.audio.format}", manifest.audio.duration_ms, word_level,
        ))
    return found


def book_id(narrations: list[Narration]) -> str:
    """The same narrations make a book with the same identifier (reading systems keep
    their place in it across rebuilds)."""
    material = "\n".join(n.manifest.audio.sha256 or n.manifest.fingerprint for n in narrations)
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'narrate-epub:' + material)}"


def summary(chapters: list[docs.ChapterText]) -> str:
    estimated = any(s.estimated for c in chapters for s in c.sentences if s.kind != "disclaimer")
    level = "word by word" if chapters and chapters[0].word_level else "sentence by sentence"
    return (f"The full text, with a narration by an AI-generated voice synchronised {level} "
            "(Media Overlays): reading systems that support them highlight the text as it is read. "
            "Headings and a table of contents allow navigation; no images, no flashing content"
            + (" (some word timings are estimated from the sentence's timing)." if estimated else "."))


def narrator(manifest: Manifest) -> str:
    """``media:narrator``: the engine and voice, said to be an AI voice."""
    settings = manifest.settings
    voice = settings.voice.get("voice") or "default voice"
    return f"{settings.engine_identity or settings.engine} ({voice}), AI-generated voice"


def package_opf(narrations: list[Narration], chapters: list[docs.ChapterText], title: str,
                modified: datetime, lang: str = "en") -> str:
    sources = [n.manifest.source for n in narrations]
    authors = dict.fromkeys(s.author for s in sources if s.author)
    publishers = dict.fromkeys(s.publication for s in sources if s.publication)
    voices = dict.fromkeys(narrator(n.manifest) for n in narrations)
    total = sum(docs.overlay_ms(c) for c in chapters)
    meta = [f'<dc:identifier id="uid">{escape(book_id(narrations))}</dc:identifier>',
            f"<dc:title>{escape(title)}</dc:title>", f"<dc:language>{lang}</dc:language>",
            *(f"<dc:creator>{escape(a)}</dc:creator>" for a in authors),
            *(f"<dc:publisher>{escape(p)}</dc:publisher>" for p in publishers),
            f'<meta property="dcterms:modified">{modified.strftime("%Y-%m-%dT%H:%M:%SZ")}</meta>',
            *(f'<meta property="media:narrator">{escape(v)}</meta>' for v in voices),
            *(f'<meta property="media:duration" refines="#ov{c.number:03d}">'
              f"{docs.clock(docs.overlay_ms(c))}</meta>" for c in chapters),
            f'<meta property="media:duration">{docs.clock(total)}</meta>',
            f'<meta property="media:active-class">{docs.ACTIVE_CLASS}</meta>',
            f'<meta property="media:playback-active-class">{docs.PLAYING_CLASS}</meta>',
            '<meta property="schema:accessMode">textual</meta>',
            '<meta property="schema:accessMode">auditory</meta>',
            '<meta property="schema:accessModeSufficient">textual</meta>',
            '<meta property="schema:accessModeSufficient">auditory</meta>',
            '<meta property="schema:accessModeSufficient">textual,auditory</meta>',
            *(f'<meta property="schema:accessibilityFeature">{f}</meta>'
              for f in ("synchronizedAudioText", "structuralNavigation", "tableOfContents", "readingOrder",
                        "displayTransformability")),
            '<meta property="schema:accessibilityHazard">none</meta>',
            f'<meta property="schema:accessibilitySummary">{escape(summary(chapters))}</meta>']
    items = ['<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>',
             '<item id="css" href="style.css" media-type="text/css"/>']
    for c, n in zip(chapters, narrations, strict=True):
        items += [f'<item id="c{c.number:03d}" href="{c.xhtml_name}" media-type="application/xhtml+xml" '
                  f'media-overlay="ov{c.number:03d}"/>',
                  f'<item id="ov{c.number:03d}" href="{c.smil_name}" media-type="application/smil+xml"/>',
                  f'<item id="a{c.number:03d}" href="audio/{c.audio_name}" '
                  f'media-type="{audio_type(n.manifest.audio.format)}"/>']
    spine = "\n".join(f'<itemref idref="c{c.number:03d}"/>' for c in chapters)
    newline = "\n"
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="uid" '
            f'xml:lang="{lang}">\n'
            f'<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">\n{newline.join(meta)}\n</metadata>\n'
            f"<manifest>\n{newline.join(items)}\n</manifest>\n<spine>\n{spine}\n</spine>\n</package>\n")


def write_epub(narrations: list[Narration], path: Path, *, title: str | None = None, word_level: bool = False,
               modified: datetime | None = None) -> None:
    """Write the book to ``path`` (a staged temporary file: the caller renames it)."""
    if not narrations:
        raise UsageError("an EPUB needs at least one narration")
    chapters = chapters_of(narrations, word_level)
    title = title or (chapters[0].title if len(chapters) == 1 else f"{chapters[0].title} and other articles")
    stamp = (modified or datetime.now(UTC)).astimezone(UTC)
    with zipfile.ZipFile(path, "w") as book:
        def put(name: str, text: str) -> None:
            book.writestr(_entry(name, zipfile.ZIP_DEFLATED), text.encode("utf-8"))

        book.writestr(_entry("mimetype", zipfile.ZIP_STORED), b"application/epub+zip")
        put("META-INF/container.xml", docs.CONTAINER)
        put("EPUB/package.opf", package_opf(narrations, chapters, title, stamp))
        put("EPUB/nav.xhtml", docs.nav_xhtml(title, chapters))
        put("EPUB/style.css", docs.STYLE)
        for chapter, narration in zip(chapters, narrations, strict=True):
            put(f"EPUB/{chapter.xhtml_name}", docs.chapter_xhtml(chapter))
            put(f"EPUB/{chapter.smil_name}", docs.chapter_smil(chapter))
            entry = _entry(f"EPUB/audio/{chapter.audio_name}", zipfile.ZIP_STORED)
            with narration.audio.open("rb") as source, book.open(entry, "w") as target:
                while block := source.read(1 << 20):
                    target.write(block)
