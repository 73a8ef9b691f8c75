"""Pronunciation lexicons: whole-word, case-sensitive respellings, plus bounded regex rules.

A TSV lexicon holds ``written<TAB>respelling`` lines; a key written ``/pattern/`` is a regex
rule. A TOML lexicon has a ``[words]`` table and ``[[rules]]`` with ``pattern`` and
``replace``. Respellings are plain words (or espeak phonemes inside ``[[...]]``).

>>> lex = Lexicon.from_pairs({"Beglaryan": "Beg-LAR-yan"})
>>> lex.apply("Artak Beglaryan said")
'Artak Beg-LAR-yan said'
"""

from __future__ import annotations

import re
import time
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as _sre_parse  # type: ignore[attr-defined]

from ..errors import ConfigError
from ._data import DATA

MAX_PATTERN = 200  # characters in a rule's pattern
MAX_INPUT = 20_000  # characters a rule is run over at once
RULE_BUDGET_S = 1.0  # seconds all rules may take on one text
_SPOKEN = re.compile(r"(?:\[\[[^\]]*\]\]|[^\W\d_]|[\s'\-.,;:?!\"])*")
_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT}


@dataclass(frozen=True)
class Rule:
    """A regex rule: every match of ``pattern`` becomes ``replace`` (``\\1`` groups allowed)."""

    pattern: str
    replace: str

    @cached_property
    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern)


@dataclass(frozen=True)
class Lexicon:
    """A frozen set of entries (written → respelling) and rules; ``merge`` layers them."""

    entries: tuple[tuple[str, str], ...] = ()
    rules: tuple[Rule, ...] = field(default=())

    @classmethod
    def from_pairs(cls, pairs: Mapping[str, str], rules: tuple[Rule, ...] = ()) -> Lexicon:
        for written, spoken in pairs.items():
            _check_entry(written, spoken, "entry")
        for rule in rules:
            _check_rule(rule)
        return cls(tuple(pairs.items()), tuple(rules))

    def merge(self, other: Lexicon) -> Lexicon:
        """``other`` is the later layer: its entries win, its rules run after ours."""
        return Lexicon(tuple({**dict(self.entries), **dict(other.entries)}.items()), self.rules + other.rules)

    @cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        if not self.entries:
            return None
        keys = sorted(dict(self.entries), key=len, reverse=True)
        return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, keys)) + r")(?!\w)")

    def spans(self, text: str) -> Iterator[tuple[int, int, str]]:
        """(start, end, respelling) for every entry match in ``text``, after the rules ran."""
        pattern, table = self._pattern, dict(self.entries)
        if pattern is not None:
            for m in pattern.finditer(text):
                yield m.start(), m.end(), table[m.group(0)]

    def apply_rules(self, text: str) -> str:
        """Run the regex rules over ``text`` in chunks of at most ``MAX_INPUT`` characters."""
        if not self.rules:
            return text
        started = time.monotonic()
        chunks = [_run_rules(self.rules, chunk, started) for chunk in _chunks(text)]
        return "".join(chunks)

    def apply(self, text: str, mark: Callable[[str], str] = lambda s: s) -> str:
        """Rules, then entries; ``mark`` wraps each respelling (``normalize`` uses it to
        protect lexicon output from the other classes)."""
        text = self.apply_rules(text)
        out, last = [], 0
        for start, end, spoken in self.spans(text):
            out += [text[last:start], mark(spoken)]
            last = end
        return "".join(out) + text[last:]


def _chunks(text: str) -> Iterator[str]:
    while len(text) > MAX_INPUT:
        cut = text.rfind(" ", 0, MAX_INPUT) + 1 or MAX_INPUT
        yield text[:cut]
        text = text[cut:]
    yield text


def _run_rules(rules: tuple[Rule, ...], text: str, started: float) -> str:
    """Each rule runs under the time left of the budget. With the ``regex`` engine (always
    installed with trafilatura) a runaway match is stopped mid-way; Python's ``re`` cannot
    be, so without it the budget is checked between rules only."""
    for rule in rules:
        left = RULE_BUDGET_S - (time.monotonic() - started)
        try:
            text = _sub(rule, text, max(left, 0.001))
        except TimeoutError:
            left = -1.0
        if left < 0 or time.monotonic() - started > RULE_BUDGET_S:
            raise ConfigError(f"lexicon rule {rule.pattern!r} is too slow (over {RULE_BUDGET_S}s)")
    return text


def _sub(rule: Rule, text: str, timeout: float) -> str:
    try:
        import regex
    except ImportError:  # pragma: no cover - regex comes with trafilatura
        return rule.compiled.sub(rule.replace, text)
    return regex.sub(rule.pattern, rule.replace, text, timeout=timeout)


def _check_entry(written: str, spoken: str, where: str) -> None:
    if not written.strip():
        raise ConfigError(f"lexicon {where}: empty word")
    if not _SPOKEN.fullmatch(spoken):
        raise ConfigError(
            f"lexicon {where}: respelling {spoken!r} for {written!r} may only hold letters, "
            "spaces, apostrophes, hyphens, sentence punctuation or [[phonemes]]"
        )


def _nested(items: object, inside_repeat: bool = False) -> bool:
    """True when an unbounded repeat sits inside another repeat: ``(a+)+``, ``(\\w*)*``."""
    for op, av in items:  # type: ignore[attr-defined]
        if op in _REPEATS:
            low, high, sub = av
            unbounded = high == sre_constants.MAXREPEAT or high > 100
            if inside_repeat and unbounded:
                return True
            if _nested(sub, inside_repeat or unbounded or high > 1):
                return True
        elif op == sre_constants.SUBPATTERN:
            if _nested(av[-1], inside_repeat):
                return True
        elif op == sre_constants.BRANCH:
            if any(_nested(branch, inside_repeat) for branch in av[1]):
                return True
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            if _nested(av[1], inside_repeat):
                return True
        elif op in (sre_constants.GROUPREF, sre_constants.GROUPREF_EXISTS):
            return True  # backreferences can explode too
    return False


def _check_rule(rule: Rule) -> None:
    if len(rule.pattern) > MAX_PATTERN:
        raise ConfigError(f"lexicon rule longer than {MAX_PATTERN} characters: {rule.pattern[:40]!r}…")
    try:
        parsed = _sre_parse.parse(rule.pattern)
        rule.compiled.sub(rule.replace, "")
    except (re.error, IndexError) as err:
        raise ConfigError(f"lexicon rule {rule.pattern!r} is not a valid regex: {err}") from None
    if _nested(parsed):
        raise ConfigError(
            f"lexicon rule {rule.pattern!r} nests repeats or uses backreferences and could run away"
        )
    _check_entry(rule.pattern, re.sub(r"\\\d|\\g<\w+>", "", rule.replace), "rule")


def _load_tsv(text: str, path: Path) -> Lexicon:
    pairs: dict[str, str] = {}
    rules: list[Rule] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        written, tab, spoken = line.partition("\t")
        if not tab:
            raise ConfigError(f"{path}:{number}: expected 'word<TAB>respelling'")
        written, spoken = written.strip(), spoken.strip()
        if len(written) > 2 and written.startswith("/") and written.endswith("/"):
            rules.append(Rule(written[1:-1], spoken))
        else:
            pairs[written] = spoken
    return _build(pairs, rules, path)


def _load_toml(text: str, path: Path) -> Lexicon:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from None
    table, raw_rules = data.get("words", {}), data.get("rules", [])
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise ConfigError(f"{path}: [words] must map words to respelling strings")
    if isinstance(raw_rules, list):  # "replacement" (as the README once said) means "replace"
        raw_rules = [{"replace": r.pop("replacement"), **r} if isinstance(r, dict) and "replacement" in r
                     and "replace" not in r else r for r in raw_rules]
    if not isinstance(raw_rules, list) or not all(
        isinstance(r, dict) and isinstance(r.get("pattern"), str) and isinstance(r.get("replace"), str)
        for r in raw_rules
    ):
        raise ConfigError(f"{path}: each [[rules]] needs string 'pattern' and 'replace'")
    return _build(table, [Rule(r["pattern"], r["replace"]) for r in raw_rules], path)


def _build(pairs: dict[str, str], rules: list[Rule], path: Path) -> Lexicon:
    try:
        return Lexicon.from_pairs(pairs, tuple(rules))
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None


def load_lexicon(path: str | Path) -> Lexicon:
    """Read a ``.toml`` or ``.tsv`` lexicon; any problem is a one-line ``ConfigError``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read lexicon {path}: {getattr(err, 'strerror', None) or err}") from None
    return _load_toml(text, path) if path.suffix.lower() == ".toml" else _load_tsv(text, path)


def default_lexicon() -> Lexicon:
    """The shipped ``data/lexicon.tsv``."""
    return load_lexicon(DATA / "lexicon.tsv")
