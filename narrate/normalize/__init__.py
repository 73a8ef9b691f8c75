"""Text normalisation: written English news text → the words a narrator says.

One module per semiotic class, lookup tables in ``data/*.tsv``. ``normalize`` runs the
lexicon first, then the classes from the most specific to the most general, then a tidy
that leaves only letters, spaces, apostrophes, inner hyphens and sentence punctuation.

>>> normalize("Its 2020 offensive cost $1.2bn, the U.S. said (at 3 p.m.).")
'Its twenty twenty offensive cost one point two billion dollars, the U S said, at three P M.'
"""

from __future__ import annotations

from collections.abc import Callable

from . import (
    abbreviations,
    cleanup,
    dates,
    electronic,
    initialisms,
    measures,
    money,
    numbers,
    places,
    roman,
    symbols,
    telephone,
    times,
)
from ._data import TRACE, TRACING, Lazy, Rewrite
from .lexicon import Lexicon, load_lexicon

__all__ = ["Lexicon", "Rewrite", "explain", "load_lexicon", "normalize"]

# Each stage takes and returns text; the order matters: specific before general.
STAGES: tuple[Callable[[str], str], ...] = (
    places.datelines,
    cleanup.clean,
    electronic.normalize,
    telephone.normalize,
    symbols.idioms,
    places.normalize,
    abbreviations.normalize,
    money.normalize,
    dates.normalize,
    times.normalize,
    measures.normalize,
    numbers.normalize,
    roman.normalize,
    symbols.normalize,
    initialisms.normalize,
    cleanup.tidy,
)

MAX_PASSES = 5
_BASE = 0xE100  # respellings are parked as private-use characters while the classes run
_PARKED = Lazy("[\ue100-\uf8ff]")


def normalize(text: str, lexicon: Lexicon | None = None) -> str:
    """``text`` as written → what the narrator says; pure, total and idempotent.

    ``"He posted on X (formerly Twitter)."`` → ``He posted on X, formerly Twitter.``
    """
    text = cleanup.sanitize(text)
    parked: list[str] = []
    if lexicon is not None:
        text = lexicon.apply(text, mark=lambda spoken: _park(parked, spoken))
    # A number turned into words can make a new word with its neighbours ("1aka1" →
    # "one aka one"), a stray bracket's removal can free an abbreviation ("0).Mr."): the
    # classes run again until nothing changes (news text settles on the second pass), so
    # normalising is idempotent.
    text = _run_stages(text)
    for _ in range(MAX_PASSES - 1):
        again = _run_stages(text)
        if again == text:
            break
        text = again
    if parked:  # respellings go back in verbatim: phoneme markup must survive the tidy
        text = _PARKED.sub(lambda m: parked[ord(m.group(0)) - _BASE], text)
    return text


def explain(text: str, lexicon: Lexicon | None = None) -> list[Rewrite]:
    """Every rewrite ``normalize`` makes on ``text``, in order: the rule, what it read, what it said.

    >>> [tuple(r) for r in explain("It has 4K.")]
    [('numbers: letters and digits apart', '4K', '4 K'), ('numbers: cardinal', '4', 'four')]
    """
    trace: list[Rewrite] = []
    token = TRACE.set(trace)
    TRACING[0] += 1
    try:
        normalize(text, lexicon)
    finally:
        TRACING[0] -= 1
        TRACE.reset(token)
    return trace


def _run_stages(text: str) -> str:
    for stage in STAGES:
        text = stage(text)
    return text


def _park(parked: list[str], spoken: str) -> str:
    if len(parked) >= 0xF8FF - _BASE:
        return spoken  # an absurd number of hits: later ones are not protected
    parked.append(spoken)
    return f" {chr(_BASE + len(parked) - 1)} "
