"""Fuzz the text front end with hypothesis for a fixed wall time (issue 9).

    .venv/bin/python bench/fuzz_frontend.py --minutes 5

Arbitrary Unicode, news-like text and Markdown/scraped-text shapes go through
``normalize``, ``segment.split`` and the whole front end (``parse_document`` →
``drop_boilerplate`` → ``build_script``). Each example must:

- never raise, and finish within a time bound per character (a hang or quadratic rule fails);
- ``normalize``: only letters, marks, spaces and sentence punctuation come out, and
  normalising again changes nothing (idempotent);
- ``split``: spans in order, trimmed, at most ``max_chars`` long, and together they keep
  every non-space character of the input, in order;
- ``build_script``: every utterance has speakable text, a written form no longer than the
  profile's limit, and a span that points at that written text in the source.

Hypothesis is run in rounds of ``--batch`` examples with fresh random seeds until the time
is up; the summary gives the wall time, the examples tried and every failure found.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from narrate.config import load_profile
from narrate.ingest import parse_document
from narrate.normalize import normalize
from narrate.script import build_script, drop_boilerplate
from narrate.segment import split

SETTINGS = load_profile("default")
MAX_CHARS = SETTINGS.max_utterance_chars
ALLOWED = set(" '-.,;:?!\"")
SECONDS_BASE = 2.0  # per example, plus
SECONDS_PER_CHAR = 0.002  # a generous linear bound: quadratic rules blow through it

PIECES = list("aZ I.U.S!?…\"'”’“(),;:—–-•\n 0123456789$£€%/@#&*_[]<>`~=+") + [
    "Mr.", "No.", " . . .", "1) ", "The ", "a. ", "# ", "## ", "> ", "- ", "```\n", "\n\n", "p.m.",
    "U.S.", "$1.2bn", "Sept. 19, 2023", "(formerly Twitter)", "[[h@'loU]]", "<speak>", "&amp;",
    "https://example.org/a?b=1", "3:45", "1,240,000", "20%", "XIV", "½", "🙂", "\u200b", "\u0301",
    "مرحبا", "שלום", "中文", "Voice is AI-generated. Inconsistencies may occur.", "About the writer",
    "Read more", "km/h", "°C", "No. 10", "e.g.", "i.e.", "St.", "Jr.", "\t", "\r\n",
]  # fmt: skip
NEWSY = st.lists(st.sampled_from(PIECES), max_size=400).map("".join)
TEXT = st.text(max_size=3000) | NEWSY | st.text(alphabet=st.characters(max_codepoint=0x2FF), max_size=3000)


class Tally:
    examples = 0
    chars = 0
    slowest = (0.0, 0)  # (seconds per char-bound ratio, length)
    failures: list[dict[str, str]] = []


def speakable(text: str) -> bool:
    import unicodedata

    for i, ch in enumerate(text):
        if ch in ALLOWED or ch.isalpha():
            continue
        if unicodedata.category(ch)[0] == "M" and i and text[i - 1].isalpha():
            continue
        return False
    return True


def check_normalize(text: str) -> None:
    once = normalize(text)
    assert speakable(once), ("unspeakable output", once)
    assert normalize(once) == once, ("not idempotent", once, normalize(once))


def check_split(text: str) -> None:
    spans = split(text, MAX_CHARS)
    end = 0
    for a, b in spans:
        assert end <= a < b <= len(text), ("span out of order", a, b)
        piece = text[a:b]
        assert piece == piece.strip() and len(piece) <= MAX_CHARS, ("bad piece", piece)
        end = b
    kept = "".join(text[a:b] for a, b in spans)
    assert "".join(kept.split()) == "".join(text.split()), "characters lost or reordered"


def check_script(text: str, suffix: str) -> None:
    source = f"fuzz{suffix}"
    doc = drop_boilerplate(parse_document(text, source, "x"))
    script = build_script(doc, SETTINGS)
    for u in script.utterances:
        assert u.spoken.strip() and speakable(u.spoken), ("bad spoken text", u)
        if u.kind != "title":
            assert len(u.written) <= MAX_CHARS, ("utterance too long", len(u.written))


def timed(text: str) -> None:
    started = time.perf_counter()
    check_normalize(text)
    check_split(text)
    check_script(text, ".txt")
    check_script(text, ".md")
    elapsed = time.perf_counter() - started
    bound = SECONDS_BASE + SECONDS_PER_CHAR * len(text)
    Tally.examples += 1
    Tally.chars += len(text)
    if elapsed / bound > Tally.slowest[0]:
        Tally.slowest = (elapsed / bound, len(text))
    assert elapsed <= bound, f"{elapsed:.2f} s for {len(text)} characters (bound {bound:.2f} s)"


def run_round(batch: int, round_seed: int) -> None:
    @seed(round_seed)
    @settings(max_examples=batch, deadline=None, database=None, phases=[Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck))
    @given(TEXT)
    def fuzz(text: str) -> None:
        timed(text)

    fuzz()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--batch", type=int, default=2000, help="examples per hypothesis round")
    parser.add_argument("--json", type=Path, help="also write the summary here")
    args = parser.parse_args()
    started = time.monotonic()
    stop = started + args.minutes * 60
    rounds = 0
    while time.monotonic() < stop:
        round_seed = int(time.time_ns() % 2**32)
        try:
            run_round(args.batch, round_seed)
        except Exception as exc:  # a finding: keep it (hypothesis has shrunk it) and go on
            Tally.failures.append({"seed": str(round_seed), "error": "".join(
                traceback.format_exception_only(type(exc), exc)).strip()[-2000:]})
            print(f"FOUND (seed {round_seed}): {Tally.failures[-1]['error'][:500]}", flush=True)
        rounds += 1
        print(f"{time.monotonic() - started:7.1f} s  round {rounds}  {Tally.examples} examples  "
              f"{Tally.chars} chars  {len(Tally.failures)} failures", flush=True)
    summary = {
        "wall_s": round(time.monotonic() - started, 1),
        "rounds": rounds,
        "examples": Tally.examples,
        "characters": Tally.chars,
        "slowest_vs_bound": round(Tally.slowest[0], 3),
        "slowest_length": Tally.slowest[1],
        "failures": Tally.failures,
    }
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 1 if Tally.failures else 0


if __name__ == "__main__":
    sys.exit(main())
