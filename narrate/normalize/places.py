"""Places: all-caps datelines, US states after a city, and party tags.

>>> normalize(datelines("SIOUX FALLS, S.D. (AP) — The council voted."))
'Sioux Falls, South Dakota (AP) — The council voted.'
>>> normalize("Fresno, Calif., and Tulsa, Okla. Sen. Jane Ortiz (D-Ariz.) and Rep. Al Ng, R-Texas, voted.")
'Fresno, California, and Tulsa, Oklahoma. Sen. Jane Ortiz, Democrat of Arizona, and Rep. Al Ng, \
Republican of Texas, voted.'

State abbreviations (AP style ``Calif.``, postal ``CA``) are expanded only where a state
stands: after a capitalised place name and a comma, or in a party tag.
"""

from __future__ import annotations

import re
from functools import cache

from ._data import Lazy, alternation, mapping, rows


@cache
def _ap() -> dict[str, str]:
    return {abbr: r[0] for r in rows("states") if len(r) > 1 for abbr in r[1].split(",") if abbr}


@cache
def _postal() -> dict[str, str]:
    return {r[2]: r[0] for r in rows("states") if len(r) > 2 and r[2]}


# A dateline: the all-caps place at the head of a story, then an optional state or country,
# an optional wire service in brackets, and the dash that opens the story.
_DATELINE = Lazy(
    r"^(\s*)([A-Z][A-Z'.-]*[A-Z.](?: [A-Z][A-Z'.-]*[A-Z.]){0,3})"
    r"(?=(?:, [A-Z][\w.]*(?: [A-Z][\w.]*){0,2})?(?: \([A-Za-z/ ]{2,24}\))? ?(?:[—–]|--| - ))",
    name="dateline",
)
# After a place name and its comma ("Fresno, "); the comma leads so the search is a quick scan.
_STATE = Lazy(
    lambda: rf", (?<=[a-z], )(?:({alternation(_ap())})|\b({alternation(_postal())})\b(?![\w.'-]))",
    name="state",
)
_PARTY_GATE = Lazy(r"\b[DRI]-[A-Z]")
# A state can only follow ", " as two capitals or a short capitalised word with a dot.
_STATE_GATE = Lazy(r", [A-Z](?:[A-Z]\b|[A-Za-z.]{1,4}\.)")
_PARTY = Lazy(
    lambda: rf"(?: ?\(|(?<=, ))({alternation(mapping('parties'))})-"
    rf"({alternation(_ap())}|{alternation(_postal())}\b|[A-Z][a-z]+(?: [A-Z][a-z]+)?)(?:\)|(?=,))"
)


def _state(written: str) -> str:
    return _ap().get(written) or _postal().get(written) or written


_CONTINUES = Lazy(r"\s*[,;:()]|\s+[a-z]")


def _place(m: re.Match[str]) -> str:
    """A state's dot ends the sentence unless the sentence goes on ("Tulsa, Okla., and")."""
    written = m.group(0)[2:]
    ends = written.endswith(".") and not _CONTINUES.rx.match(m.string, m.end())
    return ", " + _state(written) + ("." if ends else "")


def _party(m: re.Match[str]) -> str:
    party, state = m.group(1), m.group(2)
    lead = ", " if m.group(0).lstrip().startswith("(") else ""
    tail = "," if m.group(0).endswith(")") else ""
    return f"{lead}{mapping('parties')[party]} of {_state(state)}{tail}"


def datelines(text: str) -> str:
    """``KYIV, Ukraine (AP) —`` → ``Kyiv, Ukraine (AP) —``: the place is a name, not letters."""
    if not text[:2].isupper():
        return text
    return _DATELINE.sub(lambda m: m.group(1) + m.group(2).title(), text, count=1)


def normalize(text: str) -> str:
    """Party tags, then states after a place name."""
    if "-" in text and _PARTY_GATE.rx.search(text):
        text = _PARTY.sub(_party, text)
    return _STATE.sub(_place, text) if _STATE_GATE.rx.search(text) else text
