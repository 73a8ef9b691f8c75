"""Document → Script: drop boilerplate, split blocks into sentences, normalise each.

The written text of every utterance is kept with its span in the source, so captions
show what the reader sees and the manifest can point back at the article. The AI-voice
disclaimer opens the script as utterance 0 (kind ``disclaimer``), with its pause from
the profile and the publisher's recording when there is one.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from narrate import segment
from narrate.config import Pauses, Settings
from narrate.ingest.text import take_title
from narrate.models import Block, Document, Script, Utterance
from narrate.normalize import Rewrite, explain, normalize
from narrate.normalize.boilerplate import classify, strip_inline
from narrate.normalize.lexicon import Lexicon, default_lexicon, load_lexicon

_SPEAKABLE = re.compile(r"[^\W\d_]", re.UNICODE)
END_PAUSE_MS = 600


def drop_boilerplate(doc: Document, keep: bool = False) -> Document:
    """The document without what a listener should not hear (recorded in ``dropped``),
    and its title found once the boilerplate above a headline is gone."""
    kept: list[Block] = []
    dropped = list(doc.dropped)
    reasons = [None] * len(doc.blocks) if keep else classify([b.text for b in doc.blocks])
    for block, reason in zip(doc.blocks, reasons, strict=True):
        if reason:
            dropped.append((block.text, reason))
            continue
        text = block.text if keep else strip_inline(block.text)
        if text != block.text:
            dropped.append((block.text, "player label"))
            if not text.strip():
                continue
            block = replace(block, text=text)
        kept.append(block)
    if doc.title is None:
        title, kept = take_title(kept)
        if title is not None:
            doc = replace(doc, title=title.text, title_start=title.start)
    return replace(doc, blocks=tuple(kept), dropped=tuple(dropped))


def lexicon_for(settings: Settings) -> Lexicon:
    """The shipped lexicon, then the profile's, then --lexicon files: later ones win."""
    return _lexicon_layers(tuple((p, _mtime(p)) for p in settings.lexicons))


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0  # load_lexicon will say what is wrong with it


@lru_cache(maxsize=8)
def _lexicon_layers(layers: tuple[tuple[Path, float], ...]) -> Lexicon:
    lexicon = default_lexicon()
    for path, _ in layers:
        lexicon = lexicon.merge(load_lexicon(path))
    return lexicon


# "Collective Security Treaty Organization (CSTO)": the initials in brackets repeat the
# words before them.
_ACRONYM_ASIDE = re.compile(r"((?:\b[A-Z][\w'-]*\s+(?:(?:of|the|and|for|on|in)\s+)*){2,8})\(([A-Z]{2,8})\)")


def skip_acronym_asides(text: str) -> str:
    """Drop "(CSTO)" after the words it abbreviates; keep brackets that add something."""

    def drop(match: re.Match[str]) -> str:
        words = [w for w in match.group(1).split() if w[0].isupper()]
        initials = "".join(w[0] for w in words)
        return match.group(1).rstrip() if match.group(2) in initials else match.group(0)

    return _ACRONYM_ASIDE.sub(drop, text)


def _block_utterances(block: Block, settings: Settings, lexicon: Lexicon
                      ) -> list[tuple[str, str, tuple[int, int]]]:
    found = []
    for start, end in segment.split(block.text, settings.max_utterance_chars):
        written = block.text[start:end]
        reading = written if settings.read_acronym_asides else skip_acronym_asides(written)
        spoken = normalize(reading, lexicon)
        if _SPEAKABLE.search(spoken):
            found.append((written, spoken.strip(), (block.start + start, block.start + end)))
    return found


def spoken_form(text: str) -> str:
    """What the engine is given for a fixed phrase such as the disclaimer."""
    return normalize(text).strip() or text


def disclaimer_utterance(settings: Settings) -> Utterance | None:
    """The disclaimer as the script's first utterance (None with --no-disclaimer)."""
    disclaimer = settings.disclaimer
    if not disclaimer.enabled:
        return None
    return Utterance(0, disclaimer.text, spoken_form(disclaimer.text), -1, "disclaimer", (0, 0),
                     pause_after("disclaimer", True, settings.pauses), recording=disclaimer.clip)


def pause_after(kind: str, last_in_block: bool, pauses: Pauses) -> int:
    """The silence after an utterance: the profile's pause for its kind (a heading or
    title, the end of a paragraph, a sentence inside one, the disclaimer). The script's
    last utterance gets END_PAUSE_MS instead."""
    if kind == "disclaimer":
        return pauses.disclaimer
    if kind in ("heading", "title"):
        return pauses.heading
    return pauses.paragraph if last_in_block else pauses.sentence


def build_script(doc: Document, settings: Settings) -> Script:
    pauses = settings.pauses
    lexicon = lexicon_for(settings)
    opening = disclaimer_utterance(settings)
    utterances: list[Utterance] = [opening] if opening else []
    if doc.title and _SPEAKABLE.search(normalize(doc.title, lexicon)):
        spoken = normalize(doc.title, lexicon).strip()
        span = (doc.title_start, doc.title_start + len(doc.title))
        pause = pause_after("title", True, pauses)
        utterances.append(Utterance(len(utterances), doc.title, spoken, -1, "title", span, pause))
    for number, block in enumerate(doc.blocks):
        found = _block_utterances(block, settings, lexicon)
        for n, (written, spoken, span) in enumerate(found):
            pause = pause_after(block.kind, n == len(found) - 1, pauses)
            utterances.append(
                Utterance(len(utterances), written, spoken, number, block.kind, span, pause)
            )
    if len(utterances) > (opening is not None):
        utterances[-1] = replace(utterances[-1], pause_after_ms=END_PAUSE_MS)
    return Script(doc, tuple(utterances))


def rewrites(written: str, settings: Settings, title: bool = False) -> list[Rewrite]:
    """Why an utterance reads as it does: each rule that rewrote part of ``written``
    (``narrate script --explain``), given the same lexicon and settings as the script."""
    reading = written if title or settings.read_acronym_asides else skip_acronym_asides(written)
    return explain(reading, lexicon_for(settings))
