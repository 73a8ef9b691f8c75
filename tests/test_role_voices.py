"""Role voices: a profile gives the title, headings, quotations or the disclaimer their
own engine, voice and rate; the clips are levelled and resampled into one timeline, the
manifest names each utterance's voice and the cache keys follow the voice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_audio_quality import ebur128

from conftest import DATA, run_narrate
from narrate.config import load_profile, override
from narrate.errors import ConfigError

ROLES = """engine = "pyttsx3"
voice = "en-us"
[roles.title]
engine = "espeak-ng"
voice = "en-us+f3"
rate = 150
[roles.heading]
engine = "espeak"
voice = "en-us+f3"
[roles.disclaimer]
engine = "flite"
"""


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    path = tmp_path / "roles.toml"
    path.write_text(ROLES)
    return path


def test_a_role_takes_what_it_sets_and_the_main_voice_the_rest(profile: Path) -> None:
    settings = load_profile(str(profile))
    assert settings.voice_for("paragraph") == (settings.engine, settings.voice)
    engine, voice = settings.voice_for("title")
    assert (engine, voice.voice, voice.rate) == ("espeak", "en-us+f3", 150)
    engine, voice = settings.voice_for("disclaimer")
    assert (engine, voice.voice, voice.rate) == ("flite", None, settings.voice.rate)  # flite's own voice
    assert override(settings, rate=200).voice_for("heading")[1].rate == 200


def test_an_unknown_role_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[roles.footnote]\nvoice = "x"\n')
    with pytest.raises(ConfigError, match="unknown role.*footnote.*title, heading, quote, disclaimer"):
        load_profile(str(bad))


def test_roles_are_spoken_levelled_and_recorded_in_the_manifest(profile: Path, tmp_path: Path) -> None:
    out, article = tmp_path / "out", tmp_path / "canal-lock.md"
    text = (DATA / "canal-lock.txt").read_text()
    article.write_text("# " + text.replace("\nWhat happens next\n", "\n## What happens next\n"))
    result = run_narrate(str(article), "--profile", str(profile), "-o", f"{out}/")
    assert result.returncode == 0, result.stderr
    mp3 = next(out.glob("*.mp3"))
    manifest = json.loads(mp3.with_suffix(".json").read_text())
    assert manifest["disclaimer"]["voice"] == "flite/default"
    voices = {u["kind"]: u["voice"] for u in manifest["utterances"]}
    assert voices == {"title": "espeak/en-us+f3", "heading": "espeak/en-us+f3", "paragraph": "pyttsx3/en-us"}
    integrated, _ = ebur128(mp3)
    assert -17 <= integrated <= -15
    title = next(u for u in manifest["utterances"] if u["kind"] == "title")
    body = next(u for u in manifest["utterances"] if u["kind"] == "paragraph")
    for span in (manifest["disclaimer"], title):  # levelled to the main voice
        own, _ = ebur128(mp3, span["start_ms"] / 1000, (span["end_ms"] - span["start_ms"]) / 1000)
        main, _ = ebur128(mp3, body["start_ms"] / 1000, (body["end_ms"] - body["start_ms"]) / 1000)
        assert abs(own - main) <= 3.0, (span, own, main)
    # Another title voice: only the title is spoken again (its cache key follows its voice).
    profile.write_text(ROLES.replace("rate = 150", "rate = 190"))
    again = run_narrate(str(article), "--profile", str(profile), "-o", f"{out}/")
    assert again.returncode == 0 and "1 synthesised" in again.stdout, again.stdout + again.stderr
