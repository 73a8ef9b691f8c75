"""Shared plumbing: TSV lookup tables from ``data/`` and regexes compiled on first use.

Nothing here does work at import time: tables are read, and patterns compiled, the first
time a rule needs them, then cached for the life of the process.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data"  # installed beside the module (package data)


@cache
def rows(name: str) -> tuple[tuple[str, ...], ...]:
    """The rows of ``data/<name>.tsv``: tab-separated fields, ``#`` comments and blanks skipped.

    ``rows("units")[0]`` → ``("km", "kilometer", "kilometers")``
    """
    # A plain path, not importlib.resources: that import costs ~8 ms of every run's start.
    text = (DATA / f"{name}.tsv").read_text("utf-8")
    out = []
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            out.append(tuple(field.strip() for field in line.split("\t")))
    return tuple(out)


@cache
def mapping(name: str) -> dict[str, str]:
    """``data/<name>.tsv`` as a dict of first field → second field (``""`` when absent)."""
    return {row[0]: (row[1] if len(row) > 1 else "") for row in rows(name)}


@cache
def words(name: str) -> frozenset[str]:
    """``data/<name>.tsv`` as a set of its first fields."""
    return frozenset(row[0] for row in rows(name))


def alternation(keys: object) -> str:
    """A regex alternation of literal ``keys``, longest first so ``sq km`` beats ``km``."""
    return "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))  # type: ignore[call-overload]


class Lazy:
    """A regex compiled the first time it is used; ``build`` is the pattern source, or a
    function returning it when the source itself comes from a data table.

    >>> WORD = Lazy(lambda: r"\\w+")
    >>> WORD.rx.findall("a b")
    ['a', 'b']
    """

    def __init__(self, build, flags: int = 0) -> None:  # type: ignore[no-untyped-def]
        self._build = build
        self._flags = flags
        self._rx: re.Pattern[str] | None = None

    @property
    def rx(self) -> re.Pattern[str]:
        if self._rx is None:
            source = self._build if isinstance(self._build, str) else self._build()
            self._rx = re.compile(source, self._flags)
        return self._rx

    def sub(self, repl, text: str, count: int = 0) -> str:  # type: ignore[no-untyped-def]
        return self.rx.sub(repl, text, count=count)
