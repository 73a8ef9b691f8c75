"""Safe, readable file names from titles and ids."""

from __future__ import annotations

import re
import unicodedata

MAX_SLUG = 80


def slugify(text: str, fallback: str = "article") -> str:
    """'Port of Castlemere Reopens!' → 'port-of-castlemere-reopens'. Never empty, never
    a path: only [a-z0-9-], at most 80 characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[:MAX_SLUG].rstrip("-")
    return slug or fallback
