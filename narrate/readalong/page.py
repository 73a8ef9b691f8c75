"""The read-along page (``<stem>.html`` beside the audio, ``--player``): one self-contained
file — CSS and script inline, no network — with the title, byline, the AI-voice
disclosure, an audio player and the article as written, sentence by sentence and word by
word, each carrying its time in the audio (``data-b``/``data-e``, milliseconds). The
script (``assets/page.js``) highlights the sentence and word being spoken."""

from __future__ import annotations

from functools import cache
from html import escape
from importlib.resources import files
from urllib.parse import quote

from narrate import __version__
from narrate.export.manifest import Manifest
from narrate.readalong.align import Sentence, sentences
from narrate.readalong.layout import article_html

SPEEDS = ("0.75", "1", "1.25", "1.5", "2")

PAGE = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="narrate {version}">
<link rel="icon" href="data:,">
<title>{title}</title>
<style>
{css}</style>
</head>
<body>
<a class="skip" href="#article">Skip to the article</a>
<div class="wrap">
<header>
{heading}
{byline}<p class="disclosure" role="note">{disclaimer}<small>{disclosure}</small></p>
</header>
<section class="player" aria-label="Audio player">
<audio id="audio" controls preload="metadata" src="{audio}"></audio>
<div class="controls">
<button type="button" id="prev">Previous sentence</button>
<button type="button" id="play">Play</button>
<button type="button" id="next">Next sentence</button>
<label for="speed">Speed</label>
<select id="speed">{speeds}</select>
<button type="button" id="announce" aria-pressed="false">Announce sentences</button>
</div>
<p class="keys">Space plays or pauses; the arrow keys move by sentence; click a sentence to hear it.</p>
<p class="status" id="status" role="alert"></p>
<div id="live" class="visually-hidden" aria-live="off" aria-atomic="true"></div>
</section>
<main id="article">
{article}
</main>
<footer><p>Narrated offline with narrate {version}.</p></footer>
</div>
<script>
{js}</script>
</body>
</html>
"""


@cache
def _asset(name: str) -> str:
    return files("narrate.readalong").joinpath("assets", name).read_text(encoding="utf-8")


def sentence_html(sentence: Sentence, ident: str) -> str:
    """A sentence as a span of timed word spans (a chunk of words spoken together is one)."""
    inner = " ".join(f'<span class="w" data-b="{c.start_ms}">{escape(c.text)}</span>'
                     for c in sentence.chunks)
    times = f'data-b="{sentence.start_ms}" data-e="{sentence.end_ms}"'
    return f'<span class="s" id="{ident}" {times}>{inner}</span>'


def byline(manifest: Manifest) -> str:
    """"By Ana Reyes · Northsound News · 2026-09-08", what of it is known."""
    source = manifest.source
    parts = [f"By {source.author}" if source.author else "", source.publication or "", source.date or ""]
    return " · ".join(p for p in parts if p)


def player_page(manifest: Manifest, audio_name: str) -> str:
    """The page for one narration; ``audio_name`` is the audio's file name beside it."""
    found = sentences(manifest)
    title, body = article_html(found, lambda s: sentence_html(s, f"s{s.index}"))
    fallback = manifest.source.title or "Narrated article"
    spoken = next((s for s in found if s.kind == "disclaimer"), None)
    said = f"{sentence_html(spoken, 'disclaimer')} " if spoken else ""
    by = byline(manifest)
    return PAGE.format(
        lang="en",
        version=escape(__version__),
        title=escape(fallback),
        css=_asset("page.css"),
        js=_asset("page.js"),
        heading=title or f"<h1>{escape(fallback)}</h1>",
        byline=f'<p class="byline">{escape(by)}</p>\n' if by else "",
        disclaimer=said,
        disclosure=escape(manifest.disclosure()),
        audio=escape(quote(audio_name)),
        speeds="".join(f'<option value="{s}"{" selected" if s == "1" else ""}>{s}×</option>' for s in SPEEDS),
        article=body,
    )
