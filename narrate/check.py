"""`narrate check`: what the engine is likely to mispronounce, with lexicon entries to fix it.

Flags, for every utterance: capitalised words (names) that no lexicon covers, that are
rare in English (wordfreq's Zipf frequency under 3: "Beglaryan", not "Russia") and that
espeak-ng reads by its letter-to-sound rules rather than from its dictionary; and any
digit or symbol the text front end left unread. Each finding gives its line and a
suggested lexicon line: the word and espeak-ng's own phonemes in [[...]], ready to edit.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass

from narrate.engines.base import VoiceSettings
from narrate.errors import DependencyError
from narrate.models import Script

_WORD = re.compile(r"[^\W\d_][\w'’-]*[^\W_]|[^\W\d_]")
_UNREAD = re.compile(r"[\d$€£¥%&@#/\\+=<>|~^*_]")


@dataclass(frozen=True)
class Finding:
    line: int
    word: str
    reason: str
    suggestion: str  # a lexicon line (TSV) to start from, or ""


def _espeak() -> str:
    path = shutil.which("espeak-ng")
    if path is None:
        raise DependencyError("espeak-ng is missing; install it with: apt-get install espeak-ng")
    return path


def unknown_to_espeak(words: Iterable[str], voice: str = "en-us") -> set[str]:
    """The words espeak-ng does not find in its dictionary (it says "Found:" for those it does)."""
    words = sorted(set(words))
    if not words:
        return set()
    trace = subprocess.run([_espeak(), "-q", "-X", "-v", voice, "\n".join(words)],
                           capture_output=True, text=True, timeout=60, check=False).stdout
    found = {m.lower() for m in re.findall(r"Found: '([^']+)'", trace)}
    return {w for w in words if w.lower() not in found}


def espeak_voice_for(engine: str, settings: VoiceSettings) -> str:
    """The espeak-ng voice that reads text for ``engine``: Piper voices phonemise with the
    one their config names (``joe`` → ``en-us``); espeak's voices are espeak-ng's own."""
    from narrate.engines.base import engine_class

    own = getattr(engine_class(engine), "espeak_voice", None)
    return str(own(settings)) if callable(own) else settings.voice or "en-us"


def phonemes(word: str, voice: str = "en-us") -> str:
    out = subprocess.run([_espeak(), "-q", "-x", "-v", voice, word], capture_output=True, text=True,
                         timeout=30, check=False).stdout
    return " ".join(out.split())


RARE_ZIPF = 3.0


def rare(word: str) -> bool:
    from wordfreq import zipf_frequency

    return zipf_frequency(word.split("'")[0], "en") < RARE_ZIPF


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, max(0, offset)) + 1


def check(script: Script, source_text: str, known: Iterable[str] = (), voice: str = "en-us") -> list[Finding]:
    """Likely mispronunciations in ``script`` (``known``: words a lexicon already covers)."""
    covered = set(known)
    candidates: dict[str, int] = {}
    findings: list[Finding] = []
    for utterance in script.article:
        line = _line_of(source_text, utterance.span[0])
        for match in _UNREAD.finditer(utterance.spoken):
            findings.append(Finding(line, match.group(0), "left unread by the text front end", ""))
        for index, match in enumerate(_WORD.finditer(utterance.written)):
            word = match.group(0).strip("'’-")
            if word in covered or len(word) < 3:
                continue
            stem = re.split(r"['’]", word)[0]
            if word[0].isupper() and not stem.isupper() and index > 0 and rare(word):
                candidates.setdefault(word, line)
    for word in sorted(unknown_to_espeak(candidates, voice), key=lambda w: (candidates[w], w)):
        findings.append(Finding(candidates[word], word, "name read by rule (not in espeak-ng's dictionary)",
                                f"{word}\t[[{phonemes(word, voice)}]]"))
    return sorted(findings, key=lambda f: (f.line, f.word))
