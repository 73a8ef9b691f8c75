"""Markdown → Document parts: title (first ``#`` heading), byline, headings, paragraphs,
list items and quotes. Code blocks, images, HTML comments and rules are not read aloud;
inline markup (emphasis, links, inline code) is reduced to its text.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from narrate.models import Block

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^(=+|-+)\s*$")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+(.*)$")
_QUOTE = re.compile(r"^\s*>\s?(.*)$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
_BYLINE = re.compile(r"^\s*by\s+(?P<name>[^,·|]+?)\s*(?:[,·|]|$)", re.IGNORECASE)
_DATE = re.compile(r"(?:published|updated)[:\s]+(?P<date>[^·|]+)", re.IGNORECASE)

# Linear on any input: no pattern scans past the next opening bracket or '<', so a
# file of 200,000 '[' or '<' is read in one pass, not one pass per character.
_INLINE = (
    (re.compile(r"!\[[^\[\]]*\]\([^()]*\)"), ""),  # images
    (re.compile(r"\[([^\[\]]+)\]\([^()]*\)"), r"\1"),  # links → their text
    (re.compile(r"`([^`]*)`"), r"\1"),
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
    (re.compile(r"(?<![\w*])[*_](?=\S)(.+?)(?<=\S)[*_](?![\w*])"), r"\1"),
    (re.compile(r"<[^<>\n]+>"), ""),  # inline HTML tags
)


_RAW_HTML = re.compile(r"<(script|style|iframe|noscript|template|svg|math|object|textarea)\b|<!--", re.I)


def strip_inline(text: str) -> str:
    for pattern, repl in _INLINE:
        text = pattern.sub(repl, text)
    return html.unescape(text).strip()  # &mdash; &amp; &#8217; … are characters, not words


def blank_raw_html(text: str) -> str:
    """HTML that is never prose (a tweet's ``<script>``, ``<style>``, frames, comments,
    over any number of lines) blanked out: newlines kept, everything else a space, so
    offsets still point at the source. One pass, each closing tag searched once."""
    lower = text.lower()
    pieces: list[str] = []
    at = 0
    found: dict[str, int] = {}  # closing string → where it was last found (-1: nowhere after)
    for match in _RAW_HTML.finditer(text):
        if match.start() < at:
            continue
        tag = match.group(1)
        close = "-->" if tag is None else f"</{tag.lower()}"
        end = found.get(close, match.end() - 1)
        if 0 <= end < match.end():
            end = found[close] = lower.find(close, match.end())
        if end < 0:  # never closed: only the opening tag goes
            end = text.find(">", match.end())
            end = match.end() if end < 0 else end + 1
        else:
            end = lower.find(">", end)
            end = len(text) if end < 0 else end + 1
        pieces += [text[at : match.start()], re.sub(r"[^\n]", " ", text[match.start() : end])]
        at = end
    pieces.append(text[at:])
    return "".join(pieces)


@dataclass
class MarkdownParts:
    title: str | None = None
    title_start: int = 0
    byline: str | None = None
    date: str | None = None
    blocks: list[Block] = field(default_factory=list)


class _Parser:
    def __init__(self) -> None:
        self.parts = MarkdownParts()
        self.para: list[str] = []
        self.para_start = 0
        self.kind = "paragraph"

    def flush(self) -> None:
        text = strip_inline(" ".join(self.para))
        self.para = []
        if not text:
            return
        if self.kind == "paragraph" and self._take_byline(text):
            return
        self.parts.blocks.append(Block(self.kind, text, self.para_start))  # type: ignore[arg-type]

    def _take_byline(self, text: str) -> bool:
        match = _BYLINE.match(text)
        if not match or self.parts.byline or len(text) > 200 or len(self.parts.blocks) > 1:
            return False
        self.parts.byline = match.group("name").strip()
        date = _DATE.search(text)
        if date:
            self.parts.date = date.group("date").strip(" .*")
        return True

    def heading(self, level: int, text: str, offset: int) -> None:
        self.flush()
        text = strip_inline(text)
        if not text:
            return
        if level == 1 and self.parts.title is None and not self.parts.blocks:
            self.parts.title, self.parts.title_start = text, offset
        else:
            self.parts.blocks.append(Block("heading", text, offset, level))

    def line(self, kind: str, text: str, offset: int) -> None:
        if kind != self.kind or kind == "item":
            self.flush()
        if not self.para:
            self.para_start, self.kind = offset, kind
        self.para.append(text)


def parse_markdown(text: str) -> MarkdownParts:
    parser = _Parser()
    in_fence = False
    offset = 0
    lines = blank_raw_html(text).split("\n")
    for n, raw in enumerate(lines):
        start, offset = offset, offset + len(raw) + 1
        if _FENCE.match(raw):
            parser.flush()
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        following = lines[n + 1] if n + 1 < len(lines) else ""
        if not raw.strip() or _RULE.match(raw):
            parser.flush()
        elif match := _HEADING.match(raw):
            parser.heading(len(match.group(1)), match.group(2), start + match.start(2))
        elif _SETEXT.match(following) and raw.strip() and not parser.para:
            parser.heading(1 if following.strip()[0] == "=" else 2, raw, start)
        elif _SETEXT.match(raw) and not parser.para:
            continue
        elif match := _ITEM.match(raw):
            parser.line("item", match.group(1), start + match.start(1))
        elif match := _QUOTE.match(raw):
            parser.line("quote", match.group(1), start + match.start(1))
        else:
            parser.line("paragraph", raw.strip(), start + len(raw) - len(raw.lstrip()))
    parser.flush()
    return parser.parts


def looks_like_markdown(text: str) -> bool:
    return bool(re.search(r"^#{1,6}\s+\S", text, re.M))
