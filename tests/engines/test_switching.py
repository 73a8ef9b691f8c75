"""Engine switching: `narrate a.txt --engine NAME` without --voice speaks with that
engine's own default voice (the profile's voice belongs to the profile's engine)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from audio_tools import decode
from conftest import run_narrate
from narrate.config import load_profile, override
from narrate.engines.base import SHIPPED, canonical_name, engine_class

ENGINES = [*SHIPPED, "espeak-ng"]


@pytest.mark.parametrize("name", ENGINES)
def test_another_engine_without_a_voice_gets_its_own_default(name: str) -> None:
    settings = override(load_profile("default"), engine=name)
    assert settings.engine == canonical_name(name) and engine_class(name).name == settings.engine
    expected = "en-us" if settings.engine == "pyttsx3" else None  # the profile's engine keeps its voice
    assert settings.voice.voice == expected
    chosen = override(load_profile("default"), engine=name, voice="slt")
    assert chosen.voice.voice == "slt"  # a voice given with it is kept


@pytest.mark.parametrize("name", ENGINES)
def test_every_engine_speaks_without_a_voice_flag(name: str, tmp_path: Path) -> None:
    if name == "piper":
        pytest.importorskip("piper", reason="make test installs narrate[neural]")
    article = tmp_path / "a.txt"
    article.write_text("The ferry leaves at nine.\n")
    out = tmp_path / "a.wav"
    result = run_narrate(str(article), "--engine", name, "--no-disclaimer", "--no-cache", "-j", "1",
                         "-o", str(out))
    assert result.returncode == 0, result.stderr
    samples = decode(out)
    assert 0.8 < len(samples) / 22050 < 6 and np.abs(samples).max() > 0.1


def test_espeak_ng_is_a_name_for_espeak() -> None:
    assert engine_class("espeak-ng") is engine_class("espeak")
    result = run_narrate("voices", "--engine", "espeak-ng", "--language", "en-us")
    assert result.returncode == 0 and result.stdout.startswith("en-us"), result.stdout + result.stderr
