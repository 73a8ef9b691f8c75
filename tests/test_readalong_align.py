"""Lining the written words up with the spoken words' times (narrate.readalong.align):
examples of each case the module's docstring names, and the page's rules for any moment."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from narrate.export.manifest import UtteranceRecord, WordRecord
from narrate.readalong.align import Sentence, blocks, sentence_for, word_at


def utterance(written: str, spoken: list[tuple[str, int, int]], start: int = 1000, end: int = 5000,
              block: int = 0) -> UtteranceRecord:
    words = tuple(WordRecord(t, s, e) for t, s, e in spoken)
    return UtteranceRecord(3, "paragraph", written, " ".join(t for t, _, _ in spoken), (0, 0), start, end,
                           words, "pyttsx3/en-us", block)


def timed(sentence: Sentence) -> list[tuple[str, int]]:
    return [(c.text, c.start_ms) for c in sentence.chunks]


def test_written_words_take_the_times_of_the_words_said() -> None:
    said = [("The", 1000, 1100), ("ferry", 1100, 1500), ("runs", 1500, 1900), ("from", 1900, 2100),
            ("October", 2100, 2600), ("first", 2600, 2900), ("at", 2900, 3000), ("ten", 3000, 3200),
            ("forty", 3200, 3700), ("P", 3700, 3800), ("M", 3800, 3950)]
    found = sentence_for(utterance("The ferry runs from Oct. 1, at 10:45 p.m.", said))
    assert timed(found) == [("The", 1000), ("ferry", 1100), ("runs", 1500), ("from", 1900), ("Oct.", 2100),
                            ("1,", 2600), ("at", 2900), ("10:45", 3000), ("p.m.", 3700)]
    assert found.chunks[-1].end_ms == 5000  # the last word lasts to the sentence's end
    assert all(a.end_ms == b.start_ms for a, b in zip(found.chunks, found.chunks[1:], strict=False))


def test_a_written_word_said_as_several_takes_them_all() -> None:
    said = [("Voice", 0, 300), ("is", 300, 500), ("A", 500, 700), ("I", 700, 900), ("generated", 900, 1500),
            ("two", 1500, 1700), ("point", 1700, 1900), ("four", 1900, 2100), ("million", 2100, 2500),
            ("dollars", 2500, 2900), ("a", 2900, 3000), ("year", 3000, 3300)]
    found = sentence_for(utterance("Voice is AI-generated: $2.4 million a year.", said, 0, 3400))
    assert timed(found) == [("Voice", 0), ("is", 300), ("AI-generated:", 500), ("$2.4", 1500),
                            ("million", 2100), ("a", 2900), ("year.", 3000)]


def test_words_the_engine_folded_together_are_one_chunk() -> None:
    # the engine gave "ten forty-five" one word event: both written words share it
    said = [("at", 1000, 1200), ("ten", 1200, 1900), ("sharp", 1900, 2300)]
    found = sentence_for(utterance("at ten forty-five sharp", said))
    assert timed(found) == [("at", 1000), ("ten forty-five", 1200), ("sharp", 1900)]


def test_a_word_dropped_by_the_normaliser_is_highlighted_with_its_neighbour() -> None:
    said = [("Great", 1000, 1400), ("news", 1400, 1800)]
    found = sentence_for(utterance("Great news 🎉", said))
    assert timed(found) == [("Great", 1000), ("news 🎉", 1400)]


def test_without_word_events_the_sentence_is_shared_out_by_length() -> None:
    found = sentence_for(utterance("Ferries ran on time.", [], 1000, 3000))
    assert found.estimated
    starts = [c.start_ms for c in found.chunks]
    assert starts[0] == 1000 and starts == sorted(starts) and len(starts) == 4
    assert found.chunks[-1].end_ms == 3000


SAID = st.tuples(st.sampled_from(["the", "one", "two", "a", "x"]), st.integers(0, 400))


@given(st.lists(st.text(min_size=1, max_size=8).filter(lambda t: t.strip() == t and " " not in t and t),
                min_size=1, max_size=12),
       st.lists(SAID, max_size=14))
def test_any_alignment_covers_the_sentence_in_order(written: list[str], said: list[tuple[str, int]]) -> None:
    text = " ".join(w for w in written if w.split())
    if not text.split():
        return
    clock, spoken = 1000, []
    for word, length in said:
        spoken.append((word, clock, clock + length))
        clock += length
    found = sentence_for(utterance(text, spoken, 1000, max(clock, 1001)))
    assert " ".join(c.text for c in found.chunks) == " ".join(text.split())  # every word, once, in order
    starts = [c.start_ms for c in found.chunks]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert all(found.start_ms <= s <= found.end_ms for s in starts)


def test_the_word_at_a_moment_is_the_last_that_started() -> None:
    one = sentence_for(utterance("Ferries ran.", [("Ferries", 1000, 1600), ("ran", 1600, 2000)], 1000, 2000))
    assert word_at([one], 999) is None and word_at([one], 2000) is None  # outside: nothing
    assert word_at([one], 1000)[1].text == "Ferries"  # type: ignore[index]
    assert word_at([one], 1700)[1].text == "ran."  # type: ignore[index]


@pytest.mark.parametrize(("blocks_", "groups"), [
    ([0, 0, 1, -1, 2, 2, 2], [2, 1, 1, 3]),
    ([-1, -1], [1, 1]),  # a manifest from before blocks were recorded: a block per sentence
])
def test_sentences_of_one_block_stay_together(blocks_: list[int], groups: list[int]) -> None:
    found = [sentence_for(utterance("Word.", [("Word", 0, 10)], block=b)) for b in blocks_]
    assert [len(g) for _, g in blocks(found)] == groups
