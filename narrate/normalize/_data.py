"""Shared plumbing: TSV lookup tables from ``data/`` and regexes compiled on first use.

Nothing here does work at import time: tables are read, and patterns compiled, the first
time a rule needs them, then cached for the life of the process.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import NamedTuple

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


class Rewrite(NamedTuple):
    """One rule firing: which rule, on what text, giving what (``narrate script --explain``)."""

    rule: str
    written: str
    spoken: str


# While ``normalize.explain`` runs, every rewrite a rule makes is appended here.
TRACE: ContextVar[list[Rewrite] | None] = ContextVar("narrate_normalize_trace", default=None)
TRACING = [0]  # how many explanations are running, in any thread


class Lazy:
    """A regex compiled the first time it is used; ``build`` is the pattern source, or a
    function returning it when the source itself comes from a data table. ``name`` is how
    ``--explain`` calls the rule (by default its module and replacement function).

    >>> WORD = Lazy(lambda: r"\\w+")
    >>> WORD.rx.findall("a b")
    ['a', 'b']
    """

    def __init__(self, build, flags: int = 0, name: str = "") -> None:  # type: ignore[no-untyped-def]
        self._build = build
        self._flags = flags
        self._rx: re.Pattern[str] | None = None
        self._name = name
        self._module = sys._getframe(1).f_globals.get("__name__", "").rpartition(".")[2]

    @property
    def rx(self) -> re.Pattern[str]:
        if self._rx is None:
            source = self._build if isinstance(self._build, str) else self._build()
            self._rx = re.compile(source, self._flags)
        return self._rx

    def sub(self, repl, text: str, count: int = 0) -> str:  # type: ignore[no-untyped-def]
        if TRACING[0]:  # a plain list lookup: the context variable is read only while explaining
            trace = TRACE.get()
            if trace is not None:
                repl = self._traced(repl, trace)
        return self.rx.sub(repl, text, count=count)

    def rule(self, repl: object) -> str:
        """``measures: unit``: the module, then the rule's name or its function's."""
        name = self._name or getattr(repl, "__name__", "").strip("_<>").replace("lambda", "")
        return f"{self._module}: {name}" if name else self._module

    def _traced(self, repl, trace: list[Rewrite]) -> Callable[[re.Match[str]], str]:  # type: ignore[no-untyped-def]
        def record(m: re.Match[str]) -> str:
            out = repl(m) if callable(repl) else m.expand(repl)
            written, said = m.group(0), out
            if not written:  # a rule that parts a token ("4K" → "4 K"): show the token
                text, a, b = m.string, m.start(), m.end()
                start = max(text.rfind(" ", 0, a), text.rfind("\n", 0, a)) + 1
                end = min(i for i in (text.find(" ", b), text.find("\n", b), len(text)) if i >= 0)
                written = text[start:end].strip(".,;:!?")
                said = (text[start:a] + out + text[b:end]).strip(".,;:!?")
            if " ".join(said.split()) != " ".join(written.split()) and _wordy(written + said):
                trace.append(Rewrite(self.rule(repl), written.strip(), said.strip()))
            return out

        return record


def _wordy(text: str) -> bool:
    """Punctuation turned into punctuation (a dash into a comma) is not worth explaining."""
    return any(ch.isalnum() for ch in text)
