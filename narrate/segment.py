"""Split a block of written text into utterances, each with its character span.

A rule-based splitter tuned for news prose, as good as pysbd on the English "Golden
Rules" (tests/data/golden_rules_en.txt) and about twenty times faster:

1. Candidate boundaries are runs of ``. ! ? …`` (or a spaced ellipsis ``. . .``) with any
   closing quotes or brackets, followed by whitespace.
2. Each candidate is judged from two small facts: what kind of word stands before the
   stop (a title such as "Gen.", a number abbreviation such as "No.", an initialism such
   as "U.S.", an initial, an ordinary word, …) and what comes next (a lowercase word, a
   capitalised word that usually starts a sentence, any other capitalised word, a digit,
   …). ``_BREAKS_BEFORE`` says, for each kind, which kinds of next word begin a new
   sentence. The abbreviation lists are data, not code.
3. Line breaks, bullets and numbered or lettered list items always begin an utterance.

A sentence longer than the engine's comfortable length is then cut at clause
boundaries — semicolons and colons, dashes, commas, then spaces — so that no utterance
exceeds ``max_chars``.

"the U.S." before a capitalised word is ambiguous ("the U.S. Government" against "in
the U.S. Then …"). A missed boundary costs a listener a short pause; a false one
breaks a name in two. So, as in pysbd, an initialism, "Inc.", "Jr." and the like end a
sentence only when the next word is one that usually opens a sentence ("The", "He",
"Then", "However", …), listed as starters in ``narrate/data/sentence_words.tsv``.
"""

from __future__ import annotations

import re

from narrate.language import sentence_words

DEFAULT_MAX_CHARS = 300


# Never end a sentence ("Gen. Smith", "St. Louis", "vs. Azerbaijan", "e.g. the …"),
# matched as written or in capitals ("GEN."); not a boundary before a number ("No. 10",
# "Sept. 19"); may end a sentence, but only before a sentence starter ("Apple Inc. Chief
# Executive …" against "… & Co. It closed yesterday"; initialisms such as U.S. and a.m.
# behave the same way); names spelt with an exclamation mark ("Yahoo! Finance"); words
# that usually open a sentence; verbs of a quote's attribution ('"Are these your
# guarantees?" Beglaryan added.'). All are data: narrate/data/sentence_words.tsv, read
# through narrate.language (the normaliser reads the same starters).
_INITIALISM = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")

# Which kinds of next word start a new sentence, for each kind of stop.
_ANY_NEXT = frozenset({"upper", "starter", "digit", "other"})
_BREAKS_BEFORE: dict[str, frozenset[str]] = {
    "word": _ANY_NEXT,  # "great. She", "Jane.Doe@example.com. I", "$100.00. It"
    "exclaim": _ANY_NEXT,  # "Hello!! Long", but "Yahoo! in", '"Stop!" he said'
    "ellipsis": _ANY_NEXT,  # "that.... She", "Wait for it… Then"
    "spaced_ellipsis": frozenset(),  # "the thing is . . . I didn't mean it"
    "title": frozenset(),  # "Mr. Smith", "St. Michael's"
    "number": frozenset({"upper", "starter", "other"}),  # "No. 10" but "said no. The"
    "suffix": frozenset({"starter", "other"}),  # "U.S. Government" but "U.S. How"
    "initial": frozenset({"starter", "digit", "other"}),  # "Jonas E. Smith", "and I. Did"
}

# --- Patterns --------------------------------------------------------------------------

_CLOSERS = "\"'”’»)\\]"
# A run of sentence punctuation standing at the end of a word, or a spaced ellipsis, with
# its closing quotes and brackets, before whitespace or the end. Possessive quantifiers and
# the look-behinds (no match starts inside a run) keep this linear on any input.
_TERMINAL = re.compile(
    rf"""(?P<stop>
        [.!?…‽](?<![.!?…‽].)(?<!\.[ ].)  # the first stop of a run, not inside a spaced ellipsis
        (?:(?<=\s\.)(?:[ ]\.)++|[.!?…‽]*+)  # then " . ." if it stands apart, or more stops
    )
    (?P<close>[{_CLOSERS}]*+)
    (?=\s|\Z)""",
    re.X,
)
# What follows a candidate: an opening bracket, or the first letter past quotes and dots.
_NEXT = re.compile(r"""\s*+(?P<paren>\()?[\s.…"'“”‘’«»\[\]]*+(?P<ch>.)?""", re.S)
_WORD = re.compile(r"[^\W\d_]+")
_ATTRIBUTION = re.compile(r"\s++(?:[A-Z][\w'’.-]*\s+){1,3}(?P<verb>[a-z]+)")
_QUOTES = frozenset("\"'”’»")
_BULLETS = "•⁃▪‣◦●"
# Always a new utterance: line breaks (as str.splitlines() knows them) and bullets.
_LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_HARD_BREAK = re.compile(rf"[{_LINE_BREAKS}]|[{_BULLETS}](?<=\s.)")
# "1. The", "2.) The", "3) The", "a. The", "• 9. The", "⁃10. The".
_LIST_MARKER = re.compile(
    rf"(?P<label>[\da-z](?<![^\s{_BULLETS}].)|\d\d(?<![^\s{_BULLETS}]..))(?P<mark>\.\)|\.|\))"
    r"(?=\s++[A-Z])"
)
_TOKEN_STOPS = frozenset("-/–—([{\"'“‘«")
_LOOKAROUND = 64  # characters examined either side of a stop

# Preferred cut points for long sentences, strongest first: the cut falls after the match.
_CLAUSE_BREAKS = (
    re.compile(r"[;:]\s+"),
    re.compile(r"\s+[—–]\s*|\s*[—–]\s+|(?<=\w)—(?=\w)"),
    re.compile(r",\s+"),
    re.compile(r"\s+"),
)


# --- Sentence boundaries ----------------------------------------------------------------


def _word_before(text: str, end: int) -> str:
    """The word ending at ``end``, without opening quotes, brackets or hyphenated prefix."""
    start, limit = end, max(0, end - _LOOKAROUND)
    while start > limit and not text[start - 1].isspace() and text[start - 1] not in _TOKEN_STOPS:
        start -= 1
    return text[start:end]


def _word_kind(word: str) -> str:
    titles = sentence_words("title")
    if word in titles or (word.isupper() and word.capitalize() in titles):
        return "title"
    lower = word.lower()
    if lower in sentence_words("number"):
        return "number"
    if lower in sentence_words("suffix") or word in sentence_words("state") or _INITIALISM.fullmatch(word):
        return "suffix"
    if len(word) == 1 and word.isupper():
        return "initial"
    return "word"


def _stop_kind(text: str, match: re.Match[str]) -> str:
    stop = match.group("stop")
    if " " in stop:
        return "spaced_ellipsis" if stop.count(".") == 3 else "ellipsis"
    if stop == "!" and _word_before(text, match.start()) in sentence_words("exclaimed"):
        return "suffix"
    if "!" in stop or "?" in stop or "‽" in stop:
        return "exclaim"
    if len(stop) > 1 or stop == "…":
        return "ellipsis"
    return _word_kind(_word_before(text, match.start()))


def _next_kind(text: str, pos: int, closed: bool) -> str:
    found = _NEXT.match(text, pos, pos + _LOOKAROUND)
    ch = found.group("ch") if found else None
    if found is None or ch is None or ch.isspace():
        return "end"
    if found.group("paren") and closed:  # '"… stairways [...]" (Smith 55).'
        return "end"
    if ch.islower():
        return "lower"
    if ch.isupper() or ch.istitle():
        word = _WORD.match(text, found.start("ch"))
        return "starter" if word and word.group() in sentence_words("starter") else "upper"
    return "digit" if ch.isdigit() else "other"


def _attributed(text: str, match: re.Match[str], kind: str) -> bool:
    """Whether a quoted exclamation or question is followed by its attribution."""
    if kind != "exclaim" or not _QUOTES.intersection(match.group("close")):
        return False
    found = _ATTRIBUTION.match(text, match.end(), match.end() + _LOOKAROUND)
    return found is not None and found.group("verb") in sentence_words("speech")


def _list_items(text: str) -> tuple[list[int], set[int]]:
    """Starts and ends of list markers: those that begin a line, and those in the middle
    of a line that belong to a numbered or lettered sequence ("1) … 2) …", "a. … b. …")."""
    found = []
    for m in _LIST_MARKER.finditer(text):
        label = m.group("label")
        value = int(label) if label.isdigit() else ord(label)
        start = _bullet_start(text, m.start())
        found.append(((label.isdigit(), m.group("mark")), value, start, m.end()))
    present = {(style, value) for style, value, _, _ in found}
    items = [
        (start, end)
        for style, value, start, end in found
        if (style, value - 1) in present or (style, value + 1) in present or _begins_line(text, start)
    ]
    return [start for start, _ in items], {end for _, end in items}


def _begins_line(text: str, pos: int) -> bool:
    while pos > 0 and text[pos - 1] in " \t":
        pos -= 1
    return pos == 0 or text[pos - 1] in _LINE_BREAKS


def _bullet_start(text: str, start: int) -> int:
    """Where a list item begins: at its bullet, if it has one ("• 9.", "⁃10.")."""
    for back in (1, 2):
        if start >= back and text[start - back] in _BULLETS:
            return start - back
    return start


def _boundaries(text: str) -> list[int]:
    """Positions where a new utterance may begin (whitespace around them is trimmed)."""
    cuts = [m.start() for m in _HARD_BREAK.finditer(text)]
    item_starts, item_ends = _list_items(text) if "." in text or ")" in text else ([], set())
    cuts += item_starts
    for m in _TERMINAL.finditer(text):
        if m.end() in item_ends:
            continue
        following = _next_kind(text, m.end(), bool(m.group("close")))
        kind = _stop_kind(text, m)
        if following in _BREAKS_BEFORE[kind] and not _attributed(text, m, kind):
            cuts.append(m.end())
    return sorted(set(cuts))


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return None
    lead = len(piece) - len(piece.lstrip())
    return start + lead, start + lead + len(stripped)


def _sentences(text: str) -> list[tuple[int, int]]:
    edges = [0, *_boundaries(text), len(text)]
    spans = (_trimmed(text, a, b) for a, b in zip(edges, edges[1:], strict=False))
    return [span for span in spans if span is not None]


# --- Long sentences -----------------------------------------------------------------------


def _cut_point(window: str, max_chars: int) -> tuple[int, int]:
    """(end of the left piece, start of the rest) within ``window``, at the strongest
    clause boundary past the first quarter, or a hard cut at the limit."""
    for pattern in _CLAUSE_BREAKS:
        cut = _last_match(pattern, window, max_chars // 4)
        if cut is not None:
            left = len(window[: cut.end()].rstrip())  # the comma or dash stays with its clause
            if left > 0:
                return left, cut.end()
    return max_chars, max_chars


def _last_match(pattern: re.Pattern[str], text: str, pos: int) -> re.Match[str] | None:
    last = None
    for last in pattern.finditer(text, pos):  # noqa: B007 - only the last one is wanted
        pass
    return last


def _cut(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Split text[start:end] into pieces no longer than max_chars."""
    pieces = []
    while end - start > max_chars:
        left, rest = _cut_point(text[start : start + max_chars], max_chars)
        pieces.append((start, start + left))
        start += rest
    pieces.append((start, end))
    trimmed = (_trimmed(text, a, b) for a, b in pieces)
    return [span for span in trimmed if span is not None]


def split(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> list[tuple[int, int]]:
    """Character spans of the utterances in ``text``, in order.

    >>> t = "They asked the U.S. to intervene. Mr. Smith agreed."
    >>> [t[a:b] for a, b in split(t)]
    ['They asked the U.S. to intervene.', 'Mr. Smith agreed.']
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, not {max_chars}")
    spans: list[tuple[int, int]] = []
    for start, end in _sentences(text):
        spans.extend(_cut(text, start, end, max_chars))
    return spans
