"""Money: currency symbols and codes, scale suffixes, cents, ranges and rates.

>>> normalize("The deal is worth $1.2 billion.")
'The deal is worth one point two billion dollars.'
>>> normalize("They signed a $5bn loan; a coffee costs $3.50.")
'They signed a five billion dollar loan; a coffee costs three dollars and fifty cents.'
>>> normalize("The fund raised £20m and US$5.")
'The fund raised twenty million pounds and five U S dollars.'
>>> normalize("Rs 250, ₹3 crore, N500m, $40-50 billion, $4.99/mo, $0.12/kWh, a $7.99-a-month plan")
'two hundred fifty rupees, three crore rupees, five hundred million naira, forty to fifty \
billion dollars, four ninety-nine a month, twelve cents per kilowatt hour, a seven ninety-nine a month plan'
"""

from __future__ import annotations

import re
from functools import cache

from . import words
from ._data import Lazy, alternation, mapping, rows
from .numbers import NUM, spoken

_AMOUNT = rf"(?:{NUM})(?:\.\d+)?"


@cache
def _currencies() -> dict[str, tuple[str, ...]]:
    """Symbol or code → (one, many, cent, cents, context)."""
    return {r[0]: (*r[1:5], r[5] if len(r) > 5 else "") for r in rows("currencies")}


@cache
def _per() -> dict[str, str]:
    """What follows a slash after an amount: a period ("a month") or any unit ("per liter")."""
    units = {r[0]: f"per {r[1]}" for r in rows("units")}
    return {**units, **mapping("rates")}

_MONEY = Lazy(
    lambda: (
        rf"({alternation(_currencies())}) ?({_AMOUNT})"
        rf"(?: ?({alternation(mapping('money_scales'))})(?=(?:-| to )(?:\1 ?)?\d))?"  # €80m-€100m
        rf"(?:(?:-| to )(?:\1 ?)?({_AMOUNT}))?"
        rf"(?:(-| ?)({alternation(mapping('money_scales'))})\b)?"
        rf"(?:/({alternation(_per())})(?![\w/])|-(an?)-({alternation(mapping('rates'))})\b)?"
        r"(-(?=[^\W\d_]))?"
    )
)


_ARTICLE = Lazy(r"\b(?:[Aa]n?|[Aa]nother) $")
# text without a match for the gate holds nothing for this class
_GATE = Lazy(r"\d")


def _amount(m: re.Match[str]) -> str:
    symbol, amount, low_scale, upper, joint, scale, per, article, period, hyphen = m.groups()
    text = m.string
    if m.start() and (text[m.start() - 1].isalnum() or text[m.start() - 1] in "_$"):
        return m.group(0)
    one, many, cent, cents, context = _currencies()[symbol]
    if context == "scaled" and not scale and "," not in amount:
        return m.group(0)  # "N95": a letter that is only a currency before a scale word
    rate = _per()[per] if per else (f"a {mapping('rates')[period].split()[-1]}" if period else "")
    adjective = (
        bool(hyphen)
        or joint == "-"
        or _ARTICLE.rx.search(text, max(0, m.start() - 9), m.start()) is not None
    )
    unit = "" if _named_after(text, m.end(), one, many) else None
    low = f" {mapping('money_scales')[low_scale]}" if low_scale else ""
    head = spoken(amount.replace(",", "")) + low + (f" to {spoken(upper.replace(',', ''))}" if upper else "")
    if scale:
        named = unit if unit is not None else one if adjective else many
        said = f"{head} {mapping('money_scales')[scale]} {named}"
    elif upper:
        said = f"{head} {unit if unit is not None else many}"
    else:
        said = _price(amount, (one, many, cent, cents), adjective, adjective or bool(rate), unit)
    said = " ".join(said.split())
    return said + (f" {rate}" if rate else "") + ("-" if hyphen and not rate else "")


def _price(amount: str, names: tuple[str, ...], adjective: bool, tag: bool, unit: str | None) -> str:
    """``3.50`` → three dollars and fifty cents; as a price tag (``a $7.99 plan``, ``$4.99/mo``)
    → seven ninety-nine."""
    one, many, cent, cents = names
    whole, _, frac = amount.partition(".")
    if frac and len(frac) != 2:
        return f"{spoken(amount.replace(',', ''))} {many if unit is None else unit}"
    major = words.number(whole)
    minor = words.cardinal(int(frac)) if frac and int(frac) else ""
    if minor and whole.strip("0") == "":
        return f"{minor} {cent if minor == 'one' else cents}"
    if minor and tag:
        return f"{major} {'oh ' if frac.startswith('0') else ''}{minor}"
    if unit is not None:
        return f"{major} {unit}" if not minor else f"{major} {unit} and {minor} {cents}"
    text = f"{major} {one if adjective or major == 'one' else many}"
    return f"{text} and {minor} {cent if minor == 'one' else cents}" if minor else text


def _named_after(text: str, end: int, one: str, many: str) -> bool:
    """The copy names the currency itself after the amount ("$5 million dollars")."""
    rest = text[end : end + len(many) + 2].lower()
    return rest.startswith((f" {many.lower()}", f" {one.lower()}")) and not rest[1:].startswith("a ")


def normalize(text: str) -> str:
    """``$25`` → twenty-five dollars; ``a $300 fine`` → a three hundred dollar fine."""
    if not _GATE.rx.search(text):
        return text
    return _MONEY.sub(_amount, text)
