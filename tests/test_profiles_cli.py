"""One flag switches the whole voice: engine, voice, rate and disclaimer come from a
profile, flags still win, and a wrong engine or voice lists the valid ones."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import DATA, run_narrate


def test_a_profile_switches_engine_voice_rate_and_disclaimer(tmp_path: Path) -> None:
    profile = tmp_path / "newsroom.toml"
    profile.write_text(
        'engine = "flite"\nvoice = "slt"\nrate = 200\n\n'
        '[disclaimer]\ntext = "You are hearing a synthetic voice."\n',
        encoding="utf-8",
    )
    article = str(DATA / "reservoir.txt")
    result = run_narrate(article, "--profile", str(profile), "-o", str(tmp_path / "a.mp3"))
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "a.json").read_text())
    assert manifest["settings"]["engine"] == "flite"
    assert manifest["settings"]["profile"] == "newsroom"
    assert manifest["settings"]["voice"]["voice"] == "slt" and manifest["settings"]["voice"]["rate"] == 200
    assert manifest["disclaimer"]["text"] == "You are hearing a synthetic voice."
    assert "You are hearing a synthetic voice." in (tmp_path / "a.vtt").read_text()
    faster = run_narrate(str(DATA / "reservoir.txt"), "--profile", str(profile), "--rate", "260",
                         "-o", str(tmp_path / "b.mp3"))
    assert faster.returncode == 0, faster.stderr
    quicker = json.loads((tmp_path / "b.json").read_text())
    assert quicker["settings"]["voice"]["rate"] == 260  # the flag wins over the profile
    assert quicker["audio"]["duration_ms"] < manifest["audio"]["duration_ms"]


def test_an_unknown_voice_lists_the_valid_ones(tmp_path: Path) -> None:
    result = run_narrate(str(DATA / "reservoir.txt"), "--engine", "flite", "--voice", "nobody",
                         "-o", str(tmp_path / "a.mp3"))
    assert result.returncode == 2
    assert "nobody" in result.stderr and "slt" in result.stderr
    assert not (tmp_path / "a.mp3").exists()


def test_an_unknown_profile_lists_the_known_ones(tmp_path: Path) -> None:
    result = run_narrate("script", str(DATA / "reservoir.txt"), "--profile", "nope")
    assert result.returncode == 1
    assert "unknown voice profile 'nope'" in result.stderr and "flite-slt" in result.stderr


def test_voices_and_engines_list_what_is_here() -> None:
    engines = run_narrate("engines")
    assert engines.returncode == 0
    for name in ("pyttsx3", "espeak", "flite", "festival"):
        assert any(line.startswith(name) and "available" in line for line in engines.stdout.splitlines())
    voices = run_narrate("voices", "--engine", "flite")
    assert voices.returncode == 0 and "slt" in voices.stdout
    english = run_narrate("voices", "-l", "en")
    assert english.returncode == 0 and "en-us" in english.stdout
