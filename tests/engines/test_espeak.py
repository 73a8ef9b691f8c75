"""The espeak engine: article text is spoken, never obeyed as SSML; output is always checked."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from narrate.engines.base import VoiceSettings
from narrate.engines.espeak import EspeakEngine, to_ssml
from narrate.engines.programs import run_program
from narrate.errors import EngineError, UsageError
from narrate.models import Clip

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng missing")


@pytest.fixture(scope="module")
def espeak() -> EspeakEngine:
    return EspeakEngine.load(VoiceSettings())


def longest_silence_ms(clip: Clip) -> float:
    samples = np.frombuffer(clip.pcm, dtype="<i2").astype(np.float64) / 32768
    frame = clip.sample_rate // 100  # 10 ms
    frames = samples[: len(samples) // frame * frame].reshape(-1, frame)
    quiet = np.sqrt((frames**2).mean(axis=1)) < 10 ** (-45 / 20)
    longest = run = 0
    for is_quiet in quiet:
        run = run + 1 if is_quiet else 0
        longest = max(longest, run)
    return longest * 10.0


def test_ssml_in_the_text_is_spoken_not_obeyed(espeak: EspeakEngine) -> None:
    markup = espeak.synthesize('Wait <break time="5s"/> & <voice> here.')
    plain = espeak.synthesize("Wait here.")
    assert longest_silence_ms(markup) < 1000
    assert markup.duration_ms < 5000
    # "break time equals five s … and voice" is read out: much longer than "Wait here."
    assert markup.duration_ms > plain.duration_ms + 1500


def test_escaping_covers_markup_and_quotes() -> None:
    assert to_ssml("a & b < c > d \"e\" 'f'") == (
        b"<speak>a &amp; b &lt; c &gt; d &quot;e&quot; &#x27;f&#x27;</speak>"
    )
    assert to_ssml("line\none\x00two") == b"<speak>line one two</speak>"


def test_an_ignored_option_that_writes_nothing_is_an_error(
    espeak: EspeakEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # espeak-ng 1.51 exits 0 and writes nothing when it does not know an option.
    monkeypatch.setattr(espeak, "command", lambda: [espeak.program, "--ssml", "--stdout"])
    with pytest.raises(EngineError, match="unrecognized option '--ssml'") as err:
        espeak.synthesize("Hello.")
    assert err.value.text == "Hello." and "\n" not in str(err.value)


def test_settings_reach_espeak(espeak: EspeakEngine) -> None:
    loud = EspeakEngine.load(VoiceSettings(volume=1.0)).synthesize("Volume check.")
    quiet = EspeakEngine.load(VoiceSettings(volume=0.25)).synthesize("Volume check.")
    peak = [np.abs(np.frombuffer(c.pcm, dtype="<i2")).max() for c in (loud, quiet)]
    assert peak[1] < 0.5 * peak[0]
    assert EspeakEngine.load(VoiceSettings(voice="en-gb")).synthesize("Hi.").frames > 0


@pytest.mark.parametrize("voice", ["en-uss", "en-us+nosuchvariant", "zz"])
def test_near_miss_voices_are_refused_not_approximated(voice: str) -> None:
    # espeak-ng itself would quietly speak "en-uss" with the en voice.
    with pytest.raises(UsageError, match="unknown voice"):
        EspeakEngine.load(VoiceSettings(voice=voice))


def test_a_hung_program_is_stopped_at_its_deadline() -> None:
    with pytest.raises(EngineError, match="did not finish within"):
        run_program(["sleep", "5"], timeout=0.2)
