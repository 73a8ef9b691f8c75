"""The festival engine keeps one festival process: it must survive bad input, report a dead
process, and leave nothing running after close."""

from __future__ import annotations

import shutil

import pytest

from narrate.engines.base import VoiceSettings
from narrate.engines.festival import FestivalEngine, scheme_string
from narrate.errors import EngineError

pytestmark = pytest.mark.skipif(shutil.which("festival") is None, reason="festival missing")


def test_scheme_strings_cannot_break_out() -> None:
    assert scheme_string('a "b" \\ c\nd') == 'a \\"b\\" \\\\ c d'


def test_one_process_serves_every_sentence_and_close_ends_it() -> None:
    engine = FestivalEngine.load(VoiceSettings())
    proc = engine._proc
    first = engine.synthesize('She said "no" (twice).')
    second = engine.synthesize("A second sentence from the same process.")
    assert first.frames > 0 and second.frames > 0 and engine._proc is proc
    engine.close()
    assert proc.poll() is not None


def test_a_dead_process_is_an_error_not_silence() -> None:
    engine = FestivalEngine.load(VoiceSettings())
    engine._proc.kill()
    engine._proc.wait()
    with pytest.raises(EngineError, match="festival has stopped"):
        engine.synthesize("Anyone there?")
    engine.close()


def test_a_scheme_error_is_reported_in_one_line() -> None:
    engine = FestivalEngine.load(VoiceSettings())
    try:
        with pytest.raises(EngineError, match="SIOD ERROR") as err:
            engine._command("(no_such_function)", timeout=10)
        assert "\n" not in str(err.value)
        assert engine.synthesize("Still working.").frames > 0
    finally:
        engine.close()
