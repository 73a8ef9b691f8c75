"""The article's shape as HTML, shared by the page and the EPUB: the title as an ``h1``,
headings as ``h2``, paragraphs, quotes as ``blockquote``, consecutive list items as one
``ul``; how each sentence is written is the caller's."""

from __future__ import annotations

from collections.abc import Callable

from narrate.readalong.align import Sentence, blocks

_WRAP = {"heading": "<h2>{}</h2>", "quote": "<blockquote><p>{}</p></blockquote>", "item": "<li>{}</li>"}


def article_html(found: list[Sentence], sentence_html: Callable[[Sentence], str]) -> tuple[str, str]:
    """The title's HTML (an ``h1``, or "" when the article has none) and the body's."""
    title, parts, in_list = "", [], False
    for kind, group in blocks([s for s in found if s.kind != "disclaimer"]):
        text = " ".join(sentence_html(s) for s in group)
        if (kind == "item") != in_list:
            parts.append("<ul>" if kind == "item" else "</ul>")
            in_list = kind == "item"
        if kind == "title":
            title = f"<h1>{text}</h1>"
        else:
            parts.append(_WRAP.get(kind, "<p>{}</p>").format(text))
    if in_list:
        parts.append("</ul>")
    return title, "\n".join(parts)
