"""Document → Script: drop boilerplate, split blocks into sentences, normalise each.

The written text of every utterance is kept with its span in the source, so captions
show what the reader sees and the manifest can point back at the article.
"""

from __future__ import annotations

import re
from dataclasses import replace

from narrate import segment
from narrate.config import Settings
from narrate.ingest.text import take_title
from narrate.models import Block, Document, Script, Utterance
from narrate.normalize import normalize
from narrate.normalize.boilerplate import classify, strip_inline

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


def _block_utterances(block: Block, settings: Settings) -> list[tuple[str, str, tuple[int, int]]]:
    found = []
    for start, end in segment.split(block.text, settings.max_utterance_chars):
        written = block.text[start:end]
        spoken = normalize(written)
        if _SPEAKABLE.search(spoken):
            found.append((written, spoken.strip(), (block.start + start, block.start + end)))
    return found


def spoken_form(text: str) -> str:
    """What the engine is given for a fixed phrase such as the disclaimer."""
    return normalize(text).strip() or text


def build_script(doc: Document, settings: Settings) -> Script:
    pauses = settings.pauses
    utterances: list[Utterance] = []
    if doc.title and _SPEAKABLE.search(normalize(doc.title)):
        spoken = normalize(doc.title).strip()
        span = (doc.title_start, doc.title_start + len(doc.title))
        utterances.append(Utterance(0, doc.title, spoken, -1, "title", span, pauses.heading))
    for number, block in enumerate(doc.blocks):
        found = _block_utterances(block, settings)
        for n, (written, spoken, span) in enumerate(found):
            last = n == len(found) - 1
            if block.kind == "heading":
                pause = pauses.heading
            else:
                pause = pauses.paragraph if last else pauses.sentence
            utterances.append(
                Utterance(len(utterances), written, spoken, number, block.kind, span, pause)
            )
    if utterances:
        utterances[-1] = replace(utterances[-1], pause_after_ms=END_PAUSE_MS)
    return Script(doc, tuple(utterances))
