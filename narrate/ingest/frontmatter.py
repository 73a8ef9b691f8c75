"""Front matter: the metadata block static-site generators put at the top of an article
(Jekyll/Hugo YAML between ``---`` lines, Hugo TOML between ``+++`` lines).

It is metadata, never article text: its title, author and date are read, and the block
is blanked out (newlines kept, every other character a space) so the offsets of the
text after it still point at the right characters.

    >>> fm = split_front_matter('---\\ntitle: "Harbour reopens"\\nauthor: Jane Doe\\n---\\nText.')
    >>> fm.fields["title"], fm.fields["author"]
    ('Harbour reopens', 'Jane Doe')
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field

_FENCES = {"---": "yaml", "+++": "toml"}
_YAML_PAIR = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*?)\s*$")
_MAX_LINES = 200  # front matter is short; a rule far down is a rule, not a fence
TITLE_KEYS = ("title", "headline")
AUTHOR_KEYS = ("author", "authors", "byline")
DATE_KEYS = ("date", "published", "publishdate", "pubdate")


@dataclass(frozen=True)
class FrontMatter:
    text: str  # the source with the front matter blanked out (same length)
    fields: dict[str, str] = field(default_factory=dict)

    def first(self, keys: tuple[str, ...]) -> str | None:
        return next((self.fields[k] for k in keys if self.fields.get(k)), None)


def split_front_matter(text: str) -> FrontMatter:
    """The text without its front matter, and the front matter's simple fields."""
    body = text.lstrip("\ufeff")
    lead = len(text) - len(body)
    first_line, _, _ = body.partition("\n")
    kind = _FENCES.get(first_line.strip())
    if kind is None or first_line.strip() != first_line.rstrip("\r").rstrip():
        return FrontMatter(text)
    fence = first_line.strip()
    lines = body.split("\n", _MAX_LINES + 2)
    for n, line in enumerate(lines[1 : _MAX_LINES + 1], 1):
        if line.strip() == fence:
            end = lead + sum(len(x) + 1 for x in lines[: n + 1])
            inner = "\n".join(lines[1:n])
            parsed = _toml(inner) if kind == "toml" else _yaml(inner)
            if parsed is None:
                return FrontMatter(text)
            return FrontMatter(_blank(text[:end]) + text[end:], parsed)
    return FrontMatter(text)


def _blank(text: str) -> str:
    return re.sub(r"[^\n]", " ", text)


def _yaml(inner: str) -> dict[str, str] | None:
    """Top-level ``key: value`` pairs (a list's first item for ``authors``); nested
    structures are skipped. None when it does not look like YAML front matter."""
    found: dict[str, str] = {}
    pairs = 0
    last: str | None = None
    for line in inner.split("\n"):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0] in " \t-":
            item = re.match(r"^\s*-\s+(.*)$", line)
            if last and item and last not in found:
                found[last] = _scalar(item.group(1))
            continue
        match = _YAML_PAIR.match(line)
        if not match:
            return None
        pairs += 1
        last = match.group(1).lower()
        value = match.group(2)
        if value.startswith("[") and value.endswith("]"):
            value = value[1:-1].split(",")[0]
        if value and value not in ("|", ">"):
            found[last] = _scalar(value)
    return {k: v for k, v in found.items() if v} if pairs else None


def _scalar(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return " ".join(value.split())


def _toml(inner: str) -> dict[str, str] | None:
    try:
        data = tomllib.loads(inner)
    except tomllib.TOMLDecodeError:
        return None
    found = {}
    for key, value in data.items():
        if isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, str | int | float) or hasattr(value, "isoformat"):
            text = value.isoformat() if hasattr(value, "isoformat") else str(value)
            found[key.lower()] = " ".join(text.split())
    return found
