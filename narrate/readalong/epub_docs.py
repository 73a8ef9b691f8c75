"""The documents inside a read-along EPUB 3: each chapter's XHTML and its Media Overlay
(SMIL), the navigation document, the package document (OPF) with Media Overlay and
accessibility metadata (EPUB Accessibility 1.1), the container and the style sheet.

Text, not a library: templates filled with escaped values. ``epub.py`` packs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from narrate.readalong.align import Chunk, Sentence
from narrate.readalong.layout import article_html

ACTIVE_CLASS = "-epub-media-overlay-active"
PLAYING_CLASS = "-epub-media-overlay-playing"

CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles>
    <rootfile full-path="EPUB/package.opf" media-type="application/oebps-package+xml"/>
  </rootfiles>
</container>
"""

STYLE = f"""body {{ font-family: serif; line-height: 1.5; margin: 0 1em; }}
h1 {{ font-size: 1.5em; line-height: 1.25; }}
.byline {{ font-style: italic; }}
.disclosure {{ border-left: 0.25em solid #767676; padding-left: 0.75em; }}
.disclosure small {{ display: block; }}
blockquote {{ margin-left: 1em; padding-left: 1em; border-left: 0.25em solid #767676; }}
.{ACTIVE_CLASS} {{ background-color: #fff1b8; color: #1b1b1b; }}
span.w.{ACTIVE_CLASS} {{ background-color: #0b57d0; color: #ffffff; }}
"""

_XHTML = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"
 xml:lang="{lang}" lang="{lang}">
<head>
<meta charset="UTF-8"/>
<title>{title}</title>
<link rel="stylesheet" type="text/css" href="style.css"/>
</head>
<body>
{body}
</body>
</html>
"""


_SMIL = """<?xml version="1.0" encoding="UTF-8"?>
<smil xmlns="http://www.w3.org/ns/SMIL" xmlns:epub="http://www.idpf.org/2007/ops" version="3.0">
<body>
<seq id="q-chapter" epub:textref="{text}#chapter" epub:type="chapter">
{body}
</seq>
</body>
</smil>
"""


@dataclass(frozen=True)
class Clip:
    """One ``par`` of a Media Overlay: a fragment of the text and its stretch of audio."""

    fragment: str
    begin_ms: int
    end_ms: int
    words: tuple[Clip, ...] = ()  # word level: the sentence's words, each its own par


@dataclass(frozen=True)
class ChapterText:
    """One article as a chapter: its file names, text and clips."""

    number: int
    title: str
    byline: str
    disclosure: str
    sentences: tuple[Sentence, ...]
    audio_name: str  # EPUB/audio/…
    duration_ms: int
    word_level: bool

    @property
    def xhtml_name(self) -> str:
        return f"chapter-{self.number:03d}.xhtml"

    @property
    def smil_name(self) -> str:
        return f"chapter-{self.number:03d}.smil"

    def fragment(self, sentence: Sentence) -> str:
        return "sd" if sentence.kind == "disclaimer" else f"s{sentence.index}"

    def clips(self) -> list[Clip]:
        """One clip per sentence, each lasting until the next begins (the pauses are heard,
        as in the audio file); the last lasts to the end of the audio."""
        timed = sorted(self.sentences, key=lambda s: s.start_ms)
        bounds = [s.start_ms for s in timed[1:]] + [max(self.duration_ms, timed[-1].end_ms if timed else 0)]
        found = []
        for sentence, stop in zip(timed, bounds, strict=True):
            stop = max(stop, sentence.start_ms + 1)
            words = self._word_clips(sentence, stop) if self.word_level else ()
            found.append(Clip(self.fragment(sentence), sentence.start_ms, stop, words))
        return found

    def _word_clips(self, sentence: Sentence, stop: int) -> tuple[Clip, ...]:
        chunks = sentence.chunks
        begins = [sentence.start_ms] + [c.start_ms for c in chunks[1:]]
        ends = begins[1:] + [stop]
        return tuple(Clip(f"{self.fragment(sentence)}-w{n}", b, max(e, b + 1))
                     for n, (b, e) in enumerate(zip(begins, ends, strict=True)))


def _chunk_html(chunk: Chunk, ident: str | None) -> str:
    if ident is None:
        return escape(chunk.text)
    return f'<span class="w" id="{ident}">{escape(chunk.text)}</span>'


def _sentence_html(chapter: ChapterText, sentence: Sentence) -> str:
    frag = chapter.fragment(sentence)
    if chapter.word_level:
        inner = " ".join(_chunk_html(c, f"{frag}-w{n}") for n, c in enumerate(sentence.chunks))
    else:
        inner = " ".join(_chunk_html(c, None) for c in sentence.chunks)
    return f'<span class="s" id="{frag}">{inner}</span>'


def chapter_xhtml(chapter: ChapterText, lang: str = "en") -> str:
    spoken = [s for s in chapter.sentences if s.kind == "disclaimer"]
    heading, body_html = article_html(list(chapter.sentences), lambda s: _sentence_html(chapter, s))
    said = "".join(_sentence_html(chapter, s) + " " for s in spoken)
    head = [heading or f"<h1>{escape(chapter.title)}</h1>"]
    if chapter.byline:
        head.append(f'<p class="byline">{escape(chapter.byline)}</p>')
    head.append(f'<p class="disclosure" role="note">{said}<small>{escape(chapter.disclosure)}</small></p>')
    opening = '<section id="chapter" epub:type="chapter" role="doc-chapter">'
    body = "\n".join([opening, *head, body_html, "</section>"])
    return _XHTML.format(lang=lang, title=escape(chapter.title), body=body)


def seconds(ms: int) -> str:
    """A SMIL clock value in seconds: 7284 → "7.284s"."""
    return f"{ms // 1000}.{ms % 1000:03d}s"


def clock(ms: int) -> str:
    """A full SMIL clock value: 51234 → "0:00:51.234" (media:duration)."""
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def chapter_smil(chapter: ChapterText) -> str:
    audio, text = f"audio/{chapter.audio_name}", chapter.xhtml_name

    def par(clip: Clip) -> str:
        begin, end = seconds(clip.begin_ms), seconds(clip.end_ms)
        return (f'<par id="p-{clip.fragment}"><text src="{text}#{clip.fragment}"/>'
                f'<audio src="{audio}" clipBegin="{begin}" clipEnd="{end}"/></par>')

    lines = []
    for clip in chapter.clips():
        if clip.words:
            inner = "\n".join(par(w) for w in clip.words)
            opening = f'<seq id="q-{clip.fragment}" epub:textref="{text}#{clip.fragment}">'
            lines.append(f"{opening}\n{inner}\n</seq>")
        else:
            lines.append(par(clip))
    return _SMIL.format(text=text, body="\n".join(lines))


def overlay_ms(chapter: ChapterText) -> int:
    """How long a chapter's overlay plays: its clips, end to end."""
    return sum(c.end_ms - c.begin_ms for c in chapter.clips())


def nav_xhtml(book_title: str, chapters: list[ChapterText], lang: str = "en") -> str:
    items = []
    for chapter in chapters:
        heads = [s for s in chapter.sentences if s.kind == "heading"]
        inner = "".join(f'<li><a href="{chapter.xhtml_name}#{chapter.fragment(s)}">'
                        f"{escape(' '.join(c.text for c in s.chunks))}</a></li>" for s in heads)
        sub = f"<ol>{inner}</ol>" if inner else ""
        items.append(f'<li><a href="{chapter.xhtml_name}">{escape(chapter.title)}</a>{sub}</li>')
    body = (f'<nav epub:type="toc" id="toc" role="doc-toc">\n<h1>{escape(book_title)}</h1>\n'
            f'<ol>\n{chr(10).join(items)}\n</ol>\n</nav>')
    return _XHTML.format(lang=lang, title=escape(book_title), body=body)
