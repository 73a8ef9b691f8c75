"""An HTML page → Document: the article body, title, byline, date, site name and canonical URL.

trafilatura finds the article and drops navigation, ads, captions, comments and related links;
this module is its only importer. Around it we keep the page safe and readable:

- bytes in any encoding: a byte-order mark, then ``<meta charset>``, then UTF-8, then
  charset-normalizer's guess; the encoding assumed is returned with the document;
- nothing is fetched and no entity is expanded: the DOCTYPE (with any internal subset of
  ``<!ENTITY>`` declarations) is removed before parsing, lxml parses with ``no_network`` and
  without ``huge_tree``, scripts, styles and frames are dropped before extraction;
- a page nested deeper than libxml2's limit (255 levels) is rebuilt with its depth capped, so
  its text is still read, in linear time.

``Block.start`` is a best-effort offset into the decoded page: where the block's first words
(up to the first character HTML may have escaped) occur after the previous block, else the
previous block's offset.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from html.parser import HTMLParser as _StdlibParser

import lxml.html
import trafilatura
from lxml import etree

from narrate.errors import InputError
from narrate.ingest.decode import detect, looks_binary
from narrate.ingest.decode import display_name as _display
from narrate.ingest.decode import legacy_name as _legacy_name
from narrate.ingest.decode import try_decode as _try_decode
from narrate.models import Block, Document

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""",
    re.IGNORECASE,
)
# WHATWG: these labels mean windows-1252 in every browser; C1 bytes in a "Latin-1" page are
# curly quotes and dashes, not control characters.
_WINDOWS_1252_LABELS = {"iso8859-1", "ascii", "latin-1", "cp819", "iso-ir-100", "l1", "us-ascii"}

# What may come before the DOCTYPE; matched at the start only (one attempt, linear time).
_PROLOG = re.compile(r"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*", re.DOTALL)
_QUOTED = r""""[^"]*"|'[^']*'"""
# A DOCTYPE with its internal subset of declarations; quoted strings may hold '>' or ']'.
_DOCTYPE = re.compile(
    rf"""<!DOCTYPE(?:[^\[>"']|{_QUOTED})*+(?:\[(?:[^\]"']|{_QUOTED})*+\])?\s*>""", re.IGNORECASE
)
_DECLARED_ENTITY = re.compile(r"<!ENTITY\s+%?\s*([\w.:-]+)", re.IGNORECASE)
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_DROPPED_TAGS = (
    "style",
    "noscript",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "template",
    "svg",
    "math",
    "canvas",
    "audio",
    "video",
    "track",
    "source",
)
_TABLE_PARTS = {"table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "colgroup", "col"}
_LAYOUT_CELL_WORDS = 60
_MAX_DEPTH = 200  # below libxml2's 255 and well inside Python's recursion limit for trafilatura
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
class DecodedHtml:
    text: str
    encoding: str  # the encoding assumed, e.g. "utf-8", "windows-1252", "utf-16"
    origin: str  # how it was found: "byte-order mark", "declared", "utf-8", "detected", "text"


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
    tree = _parse_tree(_sanitize(decoded.text), name)
    meta = _page_metadata(tree)
    _drop_active_content(tree)
    _unwrap_layout_tables(tree)
    result = _extract(tree, name)
    doc = _document(result, meta, decoded.text, source, digest)
    if not any(_is_prose(block.text) for block in doc.blocks):
        raise InputError(f"{name}: no article text found in this HTML page")
    return HtmlArticle(doc, decoded.encoding, decoded.origin)


# --- bytes → text -------------------------------------------------------------------------


def decode_html(data: bytes, name: str) -> DecodedHtml:
    """Decode a page: BOM, then the page's own declaration, then UTF-8, then detection."""
    if not data.strip():
        raise InputError(f"{name} is empty")
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return DecodedHtml(data.decode(codec), _display(codec), "byte-order mark")
            except UnicodeDecodeError:
                raise InputError(f"{name} has a {codec} byte-order mark but is not valid {codec}") from None
    if looks_binary(data):
        raise InputError(f"{name} looks like a binary file, not an HTML page")
    declared = _declared_codec(data[:4096])
    if declared:
        text = _try_decode(data, declared)
        if text is not None:
            return DecodedHtml(text, _legacy_name(declared, data), "declared")
    text = _try_decode(data, "utf-8")
    if text is not None:
        return DecodedHtml(text, "utf-8", "utf-8")
    text, encoding = detect(data, name, "HTML page")
    return DecodedHtml(text, encoding, "detected")


def _declared_codec(head: bytes) -> str | None:
    match = _META_CHARSET.search(head)
    if not match:
        return None
    label = (match.group(1) or match.group(2)).decode("ascii").lower()
    try:
        codec = codecs.lookup(label).name
    except LookupError:
        return None
    if codec in _WINDOWS_1252_LABELS or label in _WINDOWS_1252_LABELS:
        return "cp1252"
    # A page that says UTF-16 but has no BOM was (as browsers assume) saved as something else.
    return None if codec.startswith(("utf-16", "utf-32")) else codec


# --- text → safe tree ---------------------------------------------------------------------


def _sanitize(text: str) -> str:
    """Remove the XML declaration and the DOCTYPE with any ``<!ENTITY>`` declarations in it, and
    references to the entities it declared (libxml2's HTML parser never expands them, but would
    leave the subset's tail and the references as text); drop characters lxml refuses.
    Declarations elsewhere in the page are bogus comments to the parser and vanish with them."""
    prolog = _PROLOG.match(text)
    at = prolog.end() if prolog else 0
    doctype = _DOCTYPE.match(text, at)
    if doctype:
        declared = set(_DECLARED_ENTITY.findall(doctype.group(0)))
        text = text[doctype.end() :]
        if declared:
            names = "|".join(map(re.escape, declared))
            text = re.sub(rf"&%?(?:{names});", "", text)
    else:
        text = text[at:]
    return _CONTROLS.sub("", text)


def _parse_tree(text: str, name: str) -> lxml.html.HtmlElement:
    parser = lxml.html.HTMLParser(
        remove_comments=True,
        remove_pis=True,
        no_network=True,
        huge_tree=False,
        collect_ids=False,
        default_doctype=False,
    )
    try:
        tree = lxml.html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError):
        tree = None
    if tree is None or any("Excessive depth" in e.message for e in parser.error_log):
        tree = _capped_tree(text)
    if tree is None or not len(tree):
        raise InputError(f"{name}: no article text found in this HTML page")
    return tree


_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "param",
    "source",
    "track",
    "wbr",
}


_TEXT_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "dt", "dd"}


class _CappedBuilder(_StdlibParser):
    """Builds an lxml tree from any HTML without ever nesting deeper than ``_MAX_DEPTH``:
    elements below that depth are flattened into their deepest kept ancestor."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = lxml.html.Element("html")
        self.stack = [self.root]
        self.hidden: list[str] = []  # tags opened below the cap, not built

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("html", "body", "head"):
            return
        if len(self.stack) >= _MAX_DEPTH:
            if tag in _TEXT_BLOCKS:  # a paragraph or heading at the cap replaces its container
                self.stack.pop()  # there, so the text of each stays its own block
            elif tag not in _VOID:
                self.hidden.append(tag)
                return
            else:
                return
        clean = {k: v or "" for k, v in attrs if re.fullmatch(r"[A-Za-z_][\w.:-]*", k)}
        element = etree.SubElement(
            self.stack[-1], tag if re.fullmatch(r"[a-z][\w-]*", tag) else "span", clean
        )
        if tag not in _VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.hidden:
            while self.hidden and self.hidden.pop() != tag:
                pass
            return
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        parent = self.stack[-1]
        if len(parent):
            parent[-1].tail = (parent[-1].tail or "") + data
        else:
            parent.text = (parent.text or "") + data


def _capped_tree(text: str) -> lxml.html.HtmlElement:
    builder = _CappedBuilder()
    builder.feed(text)
    builder.close()
    html = lxml.html.Element("html")
    head, body = etree.SubElement(html, "head"), etree.SubElement(html, "body")
    for child in list(builder.root):
        (head if child.tag in ("title", "meta", "link") else body).append(child)
    body.text = builder.root.text
    return html


def _drop_active_content(tree: lxml.html.HtmlElement) -> None:
    """Scripts (except JSON-LD metadata, already read), styles, frames and embeds are never text."""
    for script in list(tree.iter("script")):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            script.drop_tree()  # keeps the text that follows it
    etree.strip_elements(tree, *_DROPPED_TAGS, with_tail=False)


def _unwrap_layout_tables(tree: lxml.html.HtmlElement) -> None:
    """Old pages lay out the whole page in tables; such a table holds prose, not data, so it
    becomes plain divs for the extractor (data tables stay tables and are not read)."""
    for table in tree.xpath("//table"):
        cells = table.xpath("./tr/td | ./*/tr/td | ./tr/th | ./*/tr/th")
        if any(_is_layout_cell(cell) for cell in cells):
            for element in [table, *table.xpath("./* | ./*/* | ./*/*/*")]:
                if element.tag in _TABLE_PARTS:
                    element.tag = "div"
                    element.attrib.clear()


def _is_layout_cell(cell: lxml.html.HtmlElement) -> bool:
    if cell.xpath("./table | ./p | ./div | ./h1 | ./h2 | ./h3 | ./ul | ./ol | ./blockquote"):
        return True
    return len(cell.text_content().split()) >= _LAYOUT_CELL_WORDS


# --- metadata -----------------------------------------------------------------------------


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
