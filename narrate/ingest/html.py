"""An HTML page → Document: the article body, title, byline, date, site name and canonical URL.

trafilatura finds the article and drops navigation, ads, captions, comments and related links;
this module is its only importer. Around it we keep the page safe and readable: its bytes
are decoded in any encoding (decode.py: a byte-order mark, then ``<meta charset>``, then
UTF-8, then charset-normalizer's guess; the encoding assumed is returned with the
document), and its text parsed into a tree with nothing fetched or expanded, at any depth
(html_tree.py). Metadata comes from JSON-LD, then ``<meta>``/``<link>`` tags.

``Block.start`` is a best-effort offset into the decoded page: where the block's first words
(up to the first character HTML may have escaped) occur after the previous block, else the
previous block's offset.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

import trafilatura

from narrate.errors import InputError
from narrate.ingest.decode import DecodedHtml, decode_html
from narrate.ingest.html_tree import drop_active_content, safe_tree, unwrap_layout_tables
from narrate.models import Block, Document

if TYPE_CHECKING:  # the trees come from html_tree.py, lxml's home
    import lxml.html
    from lxml import etree

_JSONLD_MAX = 200_000
_PROSE_WORDS = 6
_SENTENCE_END = re.compile(r"""[.!?…:;]["'”’»)\]]*\s*$""")
_BYLINE = re.compile(r"^\s*(?:posted\s+)?by\s+(?P<name>[^,·|\n]+?)\s*(?:[,·|\n]|$)", re.IGNORECASE)
_MONTH = r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
_WRITTEN_DATES = (
    (re.compile(rf"\b{_MONTH}\s+(\d{{1,2}}),?\s+(\d{{4}})\b"), "%b %d %Y"),
    (re.compile(rf"\b(\d{{1,2}})\s+{_MONTH}\s+(\d{{4}})\b"), "%d %b %Y"),
)
_ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "blogposting",
    "backgroundnewsarticle",
    "report",
    "liveblogposting",
    "webpage",
    "scholarlyarticle",
    "techarticle",
}


@dataclass(frozen=True)
class HtmlArticle:
    document: Document
    encoding: str
    encoding_origin: str


def parse_html(data: bytes | str, source: str, digest: str) -> Document:
    """The article in an HTML page as a Document; raises InputError when there is none."""
    return read_html(data, source, digest).document


def read_html(data: bytes | str, source: str, digest: str) -> HtmlArticle:
    """Like parse_html, and says which encoding was assumed for the page's bytes."""
    name = "standard input" if source == "-" else source
    decoded = decode_html(data, name) if isinstance(data, bytes) else DecodedHtml(data, "utf-8", "text")
    if not decoded.text.strip():
        raise InputError(f"{name} is empty")
    tree = safe_tree(decoded.text, name)
    meta = _page_metadata(tree)
    drop_active_content(tree)
    unwrap_layout_tables(tree)
    result = _extract(tree, name)
    doc = _document(result, meta, decoded.text, source, digest)
    if not any(_is_prose(block.text) for block in doc.blocks):
        raise InputError(f"{name}: no article text found in this HTML page")
    return HtmlArticle(doc, decoded.encoding, decoded.origin)


def _page_metadata(tree: lxml.html.HtmlElement) -> dict[str, str]:
    """Title, byline, date, publication and URL from JSON-LD, then <meta>/<link> tags."""
    found: dict[str, str] = {}
    for article in _jsonld_articles(tree):
        for key, value in _jsonld_fields(article).items():
            found.setdefault(key, value)
    for key, xpath in (
        (
            "date",
            '//meta[@property="article:published_time" or @name="article:published_time"'
            ' or @itemprop="datePublished" or @name="date" or @name="pubdate"]/@content',
        ),
        ("url", '//link[@rel="canonical"]/@href | //meta[@property="og:url"]/@content'),
        ("publication", '//meta[@property="og:site_name"]/@content'),
        ("byline", '//meta[@name="author"]/@content'),
    ):
        values = [v.strip() for v in tree.xpath(xpath) if v.strip()]
        if values:
            found.setdefault(key, values[0])
    return found


def _jsonld_articles(tree: lxml.html.HtmlElement) -> Iterator[dict]:
    for script in tree.xpath('//script[translate(@type, "LDJSON", "ldjson")="application/ld+json"]'):
        raw = (script.text or "").strip()
        if not raw or len(raw) > _JSONLD_MAX:
            continue
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            continue
        yield from _articles_in(data)


def _articles_in(data: object) -> Iterator[dict]:
    items = data if isinstance(data, list) else [data]
    for item in items:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("@graph"), list):
            yield from _articles_in(item["@graph"])
        kinds = item.get("@type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if any(isinstance(k, str) and k.lower() in _ARTICLE_TYPES for k in kinds):
            yield item


def _jsonld_fields(article: dict) -> dict[str, str]:
    fields = {
        "title": article.get("headline") or article.get("name"),
        "byline": _names(article.get("author")),
        "date": article.get("datePublished") or article.get("dateCreated"),
        "publication": _names(article.get("publisher")),
        "url": article.get("url") or _names(article.get("mainEntityOfPage"), key="@id"),
    }
    return {k: " ".join(v.split()) for k, v in fields.items() if isinstance(v, str) and v.strip()}


def _names(value: object, key: str = "name") -> str | None:
    values = value if isinstance(value, list) else [value]
    found = [v if isinstance(v, str) else v.get(key) for v in values if isinstance(v, str | dict)]
    names: list[str] = [n.strip() for n in found if isinstance(n, str) and n.strip()]
    if not names:
        return None
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# --- extraction ---------------------------------------------------------------------------


def _extract(tree: lxml.html.HtmlElement, name: str) -> object:
    try:
        return trafilatura.bare_extraction(
            tree,
            include_comments=False,
            include_tables=False,
            include_images=False,
            include_links=False,
            include_formatting=False,
            with_metadata=True,
            fast=False,
        )
    except RecursionError:
        raise InputError(f"{name}: this HTML page is nested too deeply to read") from None


def _document(result: object, meta: dict[str, str], page: str, source: str, digest: str) -> Document:
    body = getattr(result, "body", None)
    title = meta.get("title") or _clean(getattr(result, "title", None))
    blocks = list(_blocks(body)) if body is not None else []
    if blocks and len(blocks[0].text.split()) <= 30 and title and _is_title(blocks[0].text, title):
        title = blocks.pop(0).text  # the headline, without the site name <title> adds
    elif not title and blocks and blocks[0].kind == "heading":
        title = blocks.pop(0).text
    byline, date = _take_byline(blocks)
    blocks = _locate(blocks, page)
    return Document(
        title=title,
        title_start=_find(page, title, _body_at(page)) if title else 0,
        blocks=tuple(blocks),
        byline=meta.get("byline") or byline or _clean(getattr(result, "author", None)),
        publication=meta.get("publication") or _clean(getattr(result, "sitename", None)),
        date=meta.get("date") or date or _clean(getattr(result, "date", None)),
        url=meta.get("url") or _clean(getattr(result, "url", None)),
        source=source,
        source_sha256=digest,
    )


def _is_title(text: str, title: str) -> bool:
    """The first block is the headline: the title, or the title less a site name around it."""
    first, full = _key(text), _key(title)
    if first == full:
        return True
    return len(text.split()) >= 3 and len(first) >= 12 and (full.endswith(first) or full.startswith(first))


def _take_byline(blocks: list[Block]) -> tuple[str | None, str | None]:
    """A "By …" line among the first blocks is metadata, not article text: removed, and read."""
    for index, block in enumerate(blocks[:3]):
        match = _BYLINE.match(block.text)
        if block.kind == "paragraph" and match and len(block.text.split()) <= 25:
            del blocks[index]
            return match.group("name").strip(), _written_date(block.text)
    return None, None


def _written_date(text: str) -> str | None:
    """An ISO date for "July 22, 2004" or "22 July 2004" in a byline line."""
    for pattern, fmt in _WRITTEN_DATES:
        match = pattern.search(text)
        if match:
            written = " ".join(match.groups()).replace(".", "")
            try:
                return datetime.strptime(written, fmt).date().isoformat()
            except ValueError:
                continue
    return None


def _is_prose(text: str) -> bool:
    """A sentence, as an article has and a page of links and footers does not."""
    return len(text.split()) >= _PROSE_WORDS and bool(_SENTENCE_END.search(text))


def _blocks(body: etree._Element) -> Iterator[Block]:
    """trafilatura's XML (head, p, list/item, quote, …) → Blocks in reading order."""
    yield from _loose("paragraph", body.text)
    for element in body:
        tag = element.tag
        if tag == "head":
            level = (element.get("rend") or "h2")[1:]
            yield from _block("heading", element, int(level) if level.isdigit() else 2)
        elif tag == "list":
            for item in element.iter("item"):
                yield from _block("item", item)
        elif tag == "quote":
            parts = [p for p in element if p.tag in ("p", "head", "item")]
            for part in parts or [element]:
                yield from _block("quote", part)
        elif tag not in ("code", "table", "graphic", "ref"):
            yield from _block("paragraph", element)
        yield from _loose("paragraph", element.tail)


def _loose(kind: str, text: str | None) -> Iterator[Block]:
    """Text directly in the body, outside any paragraph (trafilatura's fallbacks leave some)."""
    for line in (text or "").split("\n"):
        if line.strip():
            yield Block(kind, " ".join(line.split()), 0)  # type: ignore[arg-type]


def _block(kind: str, element: etree._Element, level: int = 0) -> Iterator[Block]:
    """One block per line: a line break in a paragraph (``<br>``) ends a block."""
    for line in _text(element).split("\n"):
        text = " ".join(line.split())
        if text:
            yield Block(kind, text, 0, level)  # type: ignore[arg-type]


def _text(element: etree._Element) -> str:
    """An element's words, without those of nested lists (read as items of their own)."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == "lb":
            parts.append("\n")
        elif child.tag != "list":
            parts.append(_text(child) if len(child) else (child.text or ""))
        parts.append(child.tail or "")
    return "".join(parts)


def _clean(value: object) -> str | None:
    return " ".join(value.split()) if isinstance(value, str) and value.strip() else None


def _key(text: str) -> str:
    return re.sub(r"\W+", "", text).lower()


def _locate(blocks: list[Block], page: str) -> list[Block]:
    located, at = [], 0
    for block in blocks:
        at = _find(page, block.text, at)
        located.append(replace(block, start=at))
    return located


def _find(page: str, text: str, start: int) -> int:
    """Where ``text``'s first words are in the page after ``start``; ``start`` if not found.

    The probe is the first run of characters an HTML page writes as they are (no ``&``,
    quotes, ``<`` or non-ASCII, which it may have escaped)."""
    for probe in re.finditer(r"[^&<>\"'\u00a0-\uffff]{12,60}", text[:200]):
        found = page.find(probe.group(0), start)
        return max(start, found - probe.start()) if found >= 0 else start
    return start


def _body_at(page: str) -> int:
    match = re.search(r"<body", page, re.IGNORECASE)
    return match.start() if match else 0
