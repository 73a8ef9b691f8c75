"""Sentence splitting: abbreviation-aware, spans exact, long sentences cut at clauses."""

from __future__ import annotations

import pytest

from narrate.segment import split


def sentences(text: str, max_chars: int = 300) -> list[str]:
    return [text[a:b] for a, b in split(text, max_chars)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It called for the U.S. to intervene. Others agreed.",
         ["It called for the U.S. to intervene.", "Others agreed."]),
        ("Mr. Smith met Dr. Jones. They talked.", ["Mr. Smith met Dr. Jones.", "They talked."]),
        ("Prices rose 2.5 percent. Wages did not.", ["Prices rose 2.5 percent.", "Wages did not."]),
        ('"Stop," he said. "Now."', ['"Stop," he said.', '"Now."']),
        ("Wait for it... Then go.", ["Wait for it...", "Then go."]),
    ],
)
def test_sentence_boundaries(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_long_sentence_is_cut_at_clause_boundaries_within_the_limit() -> None:
    text = ", ".join(f"clause number {n} of the sentence" for n in range(30)) + "."
    parts = sentences(text, 120)
    assert all(len(p) <= 120 for p in parts)
    assert all(p.endswith((",", ".")) for p in parts)
    assert "".join(parts).replace(" ", "") == text.replace(" ", "")


def test_a_sentence_without_any_break_is_still_bounded() -> None:
    text = "x" * 1000
    assert all(len(p) <= 300 for p in sentences(text))
    assert "".join(sentences(text)) == text


def test_spans_index_the_original_text() -> None:
    text = "  One.   Two words here.  "
    for a, b in split(text):
        assert text[a:b].strip() == text[a:b]
    assert sentences(text) == ["One.", "Two words here."]
