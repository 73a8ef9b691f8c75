"""Reading articles: encodings, paragraphs, titles, Markdown structure, clear errors."""

from __future__ import annotations

import codecs

import pytest

from narrate.errors import InputError
from narrate.ingest import parse_document, read_document
from narrate.ingest.decode import decode_text
from narrate.ingest.markdown import parse_markdown
from narrate.ingest.text import take_title


def test_utf8_with_bom_and_crlf_reads_as_plain_text() -> None:
    text = decode_text(codecs.BOM_UTF8 + b"Headline here\r\nBody line.\r\n", "a.txt")
    assert text == "Headline here\nBody line.\n"


def test_utf16_with_bom_is_read() -> None:
    assert decode_text("Ünïcode text.".encode("utf-16"), "a.txt") == "Ünïcode text."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"   \n\t \n", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"caf\xe9 au lait", "not valid UTF-8 (byte 0xe9 at offset 3)"),
    ],
)
def test_bad_bytes_are_named(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        decode_text(data, "a.txt")


def test_scraped_text_has_one_paragraph_per_line() -> None:
    text = "First paragraph ends here.\nSecond one, also a sentence.\nShort label\nThird.\n"
    doc = parse_document(text, "a.txt", "")
    assert [b.text for b in doc.blocks] == [
        "First paragraph ends here.", "Second one, also a sentence.", "Short label", "Third.",
    ]


def test_hard_wrapped_text_is_joined_into_paragraphs() -> None:
    text = (
        "This paragraph was wrapped\nby an editor at a short width\n"
        "so its lines break mid\nsentence.\n\nNext.\n"
    )
    doc = parse_document(text, "a.txt", "")
    assert [b.text for b in doc.blocks][0] == (
        "This paragraph was wrapped by an editor at a short width so its lines break mid sentence."
    )


def test_headline_first_line_becomes_the_title() -> None:
    doc = parse_document("Dam Fails After Storm\nThe dam failed on Monday.\n", "a.txt", "")
    title, rest = take_title(list(doc.blocks))
    assert title is not None and title.text == "Dam Fails After Storm"
    assert [b.text for b in rest] == ["The dam failed on Monday."]


def test_a_sentence_first_line_is_not_a_title() -> None:
    doc = parse_document("The dam failed on Monday.\nIt rained.\n", "a.txt", "")
    assert take_title(list(doc.blocks))[0] is None


def test_block_offsets_point_into_the_source() -> None:
    text = "Title Of Story\n\nFirst para.\nSecond para.\n"
    doc = parse_document(text, "a.txt", "")
    for block in doc.blocks:
        assert text[block.start : block.start + len(block.text)] == block.text


def test_markdown_title_byline_headings_items_and_code() -> None:
    parts = parse_markdown(
        "# The Title\n\n*By Ann Lee, Science Desk · Published Oct. 3, 2026*\n\n"
        "Intro with **bold** and a [link](http://x.example).\n\n## Section\n\n"
        "- first item\n- second item\n\n```\ncode = 1\n```\n\n> A quote.\n\n---\nLast.\n"
    )
    assert parts.title == "The Title"
    assert parts.byline == "Ann Lee"
    assert parts.date == "Oct. 3, 2026"
    assert [(b.kind, b.text) for b in parts.blocks] == [
        ("paragraph", "Intro with bold and a link."),
        ("heading", "Section"),
        ("item", "first item"),
        ("item", "second item"),
        ("quote", "A quote."),
        ("paragraph", "Last."),
    ]


def test_missing_file_and_directory(tmp_path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_document(str(tmp_path / "nope.txt"))
    with pytest.raises(InputError, match="is a directory"):
        read_document(str(tmp_path))


def test_huge_input_is_refused_before_reading_it_all(tmp_path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"word " * 1000)
    with pytest.raises(InputError, match="larger than"):
        read_document(str(path), max_bytes=1024)
