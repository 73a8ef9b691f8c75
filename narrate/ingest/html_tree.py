"""An HTML page's text → a safe lxml tree, whatever the page holds.

- nothing is fetched and no entity is expanded: the DOCTYPE (with any internal subset of
  ``<!ENTITY>`` declarations) is removed before parsing, lxml parses with ``no_network``
  and without ``huge_tree``; scripts, styles, frames and media are dropped before the
  article is extracted (html.py);
- a page nested deeper than libxml2's limit (255 levels) is rebuilt with its depth
  capped, so its text is still read, in linear time;
- tables used for layout are unwrapped so their prose reads as paragraphs.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser as _StdlibParser

import lxml.html
from lxml import etree

from narrate.errors import InputError

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


def safe_tree(text: str, name: str) -> lxml.html.HtmlElement:
    """The page parsed with nothing expanded or fetched (InputError when it is empty)."""
    return _parse_tree(_sanitize(text), name)


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


def drop_active_content(tree: lxml.html.HtmlElement) -> None:
    """Scripts (except JSON-LD metadata, already read), styles, frames and embeds are never text."""
    for script in list(tree.iter("script")):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            script.drop_tree()  # keeps the text that follows it
    etree.strip_elements(tree, *_DROPPED_TAGS, with_tail=False)


def unwrap_layout_tables(tree: lxml.html.HtmlElement) -> None:
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
