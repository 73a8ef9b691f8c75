"""Boilerplate removal on texts written for these tests, plus the shared sample if present."""

from __future__ import annotations

from pathlib import Path

import pytest

from narrate.normalize.boilerplate import classify, strip_inline

ARTICLE = [
    "🎧 Voice is AI-generated. Inconsistencies may occur.",
    "Listen to this article · 4 min · Share",
    "Flood barriers along the Wendle estuary failed on Sunday night, officials said.",
    "Advertisement",
    "Photo: Mara Quint/Getty Images",
    "The council is committed to rebuilding the sea wall before winter, its leader said.",
    "Related: How the 2019 storm reshaped the coast",
    "Residents who want to read more about the repairs can visit the town hall.",
    "Sign up for our Coastal Weekly newsletter, delivered to your inbox every Friday.",
    "Harbourside Gazette is committed to accurate journalism you can trust.",
    "Share · Facebook · Email",
    "About the writer",
    "Tomas Reid is a senior correspondent covering climate and infrastructure.",
    "He previously worked in Lisbon.",
]
EXPECTED = [
    "player label",
    "player label",
    None,
    "advertisement",
    "photo credit",
    None,
    "related links",
    None,
    "newsletter box",
    "publisher box",
    "share prompt",
    "author box",
    "author box",
    "author box",
]

CONTENT = [
    "The government is committed to reducing emissions by a third, the minister said.",
    "Share prices fell 3% after the announcement.",
    "The photo, taken by a resident, shows the breach.",
    "Advertisements for the flats appeared online last week.",
    "She said the newsletter had been popular with older readers.",
    "Read the full statement below.",
    "About 200 people attended the meeting about the writer's new book.",
    "He is a reporter's worst nightmare, one aide joked. Read more of his remarks below.",
]


def test_article_paragraphs() -> None:
    assert classify(ARTICLE) == EXPECTED


@pytest.mark.parametrize("sentence", CONTENT)
def test_content_is_never_dropped(sentence: str) -> None:
    assert classify([sentence]) == [None]


def test_bio_ending_in_read_more_without_heading() -> None:
    bio = "Lena Ortiz is a staff reporter based in Madrid. She covers energy and ... Read more"
    assert classify([bio]) == ["author box"]


def test_classify_keeps_length_and_handles_blanks() -> None:
    assert classify([]) == []
    assert classify(["", "   "]) == [None, None]


def test_strip_inline_removes_player_label() -> None:
    text = "🎙️ Voice is AI-generated. Inconsistencies may occur. The dam held overnight."
    assert strip_inline(text) == "The dam held overnight."
    assert strip_inline("The dam held. Voice is AI-generated. Inconsistencies may occur.") == (
        "The dam held."
    )


def test_strip_inline_leaves_other_text_alone() -> None:
    text = "Inconsistencies  in the  report were  noted."
    assert strip_inline(text) is text


SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "samples" / "karabakh-offensive.txt"


@pytest.mark.skipif(not SAMPLE.exists(), reason="shared sample article not available")
def test_shared_sample_article() -> None:
    paragraphs = [line for line in SAMPLE.read_text("utf-8").splitlines() if line.strip()]
    reasons = classify(paragraphs)
    assert reasons[0] == "player label"
    assert reasons[-2:] == ["author box", "author box"]
    assert paragraphs[-2].strip() == "About the writer"
    assert all(r is None for r in reasons[1:-2]), [p for p, r in zip(paragraphs, reasons, strict=True) if r]


def test_author_heading_run_into_its_bio_is_one_author_box() -> None:
    # Markdown joins the heading and the bio into one paragraph when no blank line parts them.
    joined = "About the writer Lena Ruiz covers courts for the desk. She lives upstate ... Read more"
    assert classify(["The verdict came on Friday.", joined]) == [None, "author box"]
