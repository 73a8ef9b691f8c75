"""Numbers to English words (US style, no "and"): the verbaliser every class shares.

>>> cardinal(1500000)
'one million five hundred thousand'
>>> ordinal(21)
'twenty-first'
>>> year(1905), year(2008), year(2020)
('nineteen oh five', 'two thousand eight', 'twenty twenty')
"""

from __future__ import annotations

from functools import cache

from ._data import mapping, rows

_LIMIT = 10**18


@cache
def _table() -> dict[int, str]:
    return {int(r[0]): r[1] for r in rows("number_words")}


@cache
def _ordinal_of() -> dict[str, str]:
    return {r[1]: r[2] for r in rows("number_words")}


@cache
def _scales() -> dict[int, str]:
    return {int(k): v for k, v in mapping("scales").items()}


def _small(n: int) -> str:
    return _table()[n]


def _under_100(n: int) -> str:
    """``42`` → ``forty-two``."""
    if n < 20 or n % 10 == 0:
        return _small(n)
    return f"{_small(n - n % 10)}-{_small(n % 10)}"


def _under_1000(n: int) -> str:
    """``312`` → ``three hundred twelve``."""
    hundreds, rest = divmod(n, 100)
    head = f"{_small(hundreds)} hundred" if hundreds else ""
    tail = _under_100(rest) if rest else ""
    return " ".join(p for p in (head, tail) if p)


def cardinal(n: int) -> str:
    """``-5`` → ``minus five``; ``7000`` → ``seven thousand``; huge numbers → digit by digit."""
    if n < 0:
        return "minus " + cardinal(-n)
    if n >= _LIMIT:
        return digits(str(n))
    if n < 1000:
        return _under_1000(n) if n else "zero"
    scales = _scales()
    parts, power = [], 0
    while n:
        n, chunk = divmod(n, 1000)
        if chunk:
            parts.append(_under_1000(chunk) + (f" {scales[power]}" if power else ""))
        power += 1
    return " ".join(reversed(parts))


def ordinal(n: int) -> str:
    """``3`` → ``third``; ``21`` → ``twenty-first``; ``100`` → ``one hundredth``."""
    words = cardinal(n)
    head, sep, last = words.rpartition("-" if "-" in words.split(" ")[-1] else " ")
    if last in _ordinal_of():
        last = _ordinal_of()[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return head + sep + last


def digits(text: str) -> str:
    """``"0501"`` → ``zero five zero one``."""
    return " ".join(_small(int(d)) for d in text if d.isdigit())


def decimal(whole: str, frac: str) -> str:
    """``("3", "25")`` → ``three point two five``; ``("", "5")`` → ``zero point five``."""
    return f"{number(whole or '0')} point {digits(frac)}"


def number(text: str) -> str:
    """Digits, maybe with separators: ``"1,500"`` → ``one thousand five hundred``."""
    clean = text.replace(",", "")
    if len(clean) > 1 and clean.startswith("0"):
        return digits(clean)
    return cardinal(int(clean))


def year(n: int) -> str:
    """``1994`` → nineteen ninety-four; ``2000`` → two thousand; ``1900`` → nineteen hundred."""
    if n < 1000 or n >= 10000 or (2000 <= n < 2010) or n % 1000 == 0:
        return cardinal(n)
    high, low = divmod(n, 100)
    if low == 0:
        return f"{_under_100(high)} hundred"
    if low < 10:
        return f"{_under_100(high)} oh {_small(low)}"
    return f"{_under_100(high)} {_under_100(low)}"


def plural(words: str) -> str:
    """``nineteen ninety`` → ``nineteen nineties``; ``two thousand`` → ``two thousands``."""
    if words.endswith("y"):
        return words[:-1] + "ies"
    if words.endswith(("x", "s")):
        return words + "es"
    return words + "s"


def fraction(num: int, den: int) -> str:
    """``(1, 3)`` → one third; ``(2, 3)`` → two thirds; ``(5, 16)`` → five sixteenths."""
    named = {int(r[0]): (r[1], r[2]) for r in rows("fractions")}
    one, many = named.get(den, (ordinal(den), plural(ordinal(den))))
    return f"{cardinal(num)} {one if num == 1 else many}"
