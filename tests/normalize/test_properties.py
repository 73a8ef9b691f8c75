"""Properties on arbitrary text: never raises, idempotent, nothing the engine reads by name."""

from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from narrate.normalize import normalize
from narrate.normalize.lexicon import default_lexicon

ALLOWED_PUNCTUATION = set(" '-.,;:?!\"")

# Text that looks like news copy: digits, currency, dots and capitals are common.
NEWSY = st.text(
    alphabet=st.sampled_from(list("0123456789 ,.-/:%$£€@#&()'\"ABCIMVXUSmkpa–—½°")) | st.characters(),
    max_size=60,
)


def speakable(text: str) -> bool:
    for i, ch in enumerate(text):
        if ch in ALLOWED_PUNCTUATION or ch.isalpha():
            continue
        if unicodedata.category(ch)[0] == "M" and i and text[i - 1].isalpha():
            continue
        return False
    return True


def check(text: str) -> None:
    once = normalize(text)
    assert speakable(once), (text, once)
    assert normalize(once) == once, (text, once, normalize(once))
    assert "-" not in (once[:1], once[-1:])


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=80))
@example("")
@example("🎙️")
@example("- 5 -")
@example("(( ))")
@example("a\u0301 \u0301")
def test_arbitrary_unicode(text: str) -> None:
    check(text)


@settings(max_examples=2500, deadline=None)
@given(NEWSY)
@example("On Sept. 19, 2023 at 9:05 p.m. the U.S. paid $1.2bn (45%) for 1/3 of 4,400 sq km.")
@example("2020-2023 10-15 -5 0.5 '90s 21st 30-year-old ½ 1½ Chapter IV I MIX")
def test_newsy_text(text: str) -> None:
    check(text)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("Stepanakert Beglaryan Kyiv 12.")), max_size=40))
def test_with_default_lexicon(text: str) -> None:
    lexicon = default_lexicon()
    once = normalize(text, lexicon)
    assert speakable(once)
    assert normalize(once, lexicon) == once
