"""The default engine: pyttsx3's espeak-ng driver, made trustworthy.

pyttsx3 2.99 initialises libespeak-ng (asynchronous retrieval mode), owns the voice
list and applies voice/rate/volume/pitch. Its own ``save_to_file``/``runAndWait`` loop
loses and damages audio without saying so (measured, see issue 2): the first
``runAndWait`` in a process returns before synthesis, ``stop()`` cancels espeak while a
property change is still settling (rate falls back from 200 to 175 wpm, the next
sentence comes out empty), it prints "Audio saved to …" on stdout and hard-codes
22,050 Hz. So this module keeps pyttsx3's driver for set-up and properties but
collects the audio itself: its own synth callback, which signals the end of each
message (espeak's own ``espeak_Synchronize`` polls and costs ~16 ms a sentence, half of
the synthesis time); the rate re-checked before every sentence; after any failure espeak
is cancelled and drained before the retry. One engine per process (espeak has one global
callback).
"""

from __future__ import annotations

import ctypes
import threading
from typing import Any, ClassVar

from narrate.engines.base import VoiceInfo, VoiceSettings, installed_version
from narrate.errors import DependencyError, EngineError, UsageError
from narrate.models import Clip, Word

INSTALL_HINT = "install it with: apt-get install espeak-ng libespeak-ng1"
DEFAULT_VOICE = "en-us"
ATTEMPTS = 3


def _espeak_module() -> Any:
    try:
        from pyttsx3.drivers import _espeak
    except (ImportError, OSError, RuntimeError) as exc:
        raise DependencyError(f"the espeak-ng library is missing ({exc}); {INSTALL_HINT}") from exc
    return _espeak


class Pyttsx3Engine:
    name: ClassVar[str] = "pyttsx3"
    bounded: ClassVar[bool] = True  # every wait has a deadline: safe to run in the main process
    rate_hint: ClassVar[int] = 22050  # espeak-ng's own voices (MBROLA ones differ)

    def __init__(self, settings: VoiceSettings) -> None:
        import pyttsx3

        self._es = _espeak_module()
        try:
            self._pyttsx3 = pyttsx3.init("espeak")
        except (RuntimeError, OSError) as exc:
            raise DependencyError(f"pyttsx3 could not start espeak-ng ({exc}); {INSTALL_HINT}") from exc
        self._driver = self._pyttsx3.proxy._driver
        self.settings = settings
        self.sample_rate = int(self._es.dll.espeak_ng_GetSampleRate())
        self._chunks: list[bytes] = []
        self._words: list[tuple[int, int, int]] = []
        self._finished = threading.Event()
        self._apply_settings()
        # Keep a reference: ctypes callbacks must outlive every synthesis.
        self._es.SetSynthCallback(self._on_synth)
        self.synthesize("Ready.")  # warm-up: the first synthesis in a process is the fragile one

    @classmethod
    def load(cls, settings: VoiceSettings) -> Pyttsx3Engine:
        return cls(settings)

    # -- properties -------------------------------------------------------------------
    def _apply_settings(self) -> None:
        voice = self.settings.voice or DEFAULT_VOICE
        try:
            self._driver.setProperty("voice", voice)
        except ValueError:
            raise UsageError(
                f"unknown voice {voice!r} for engine pyttsx3; run 'narrate voices' to list them"
            ) from None
        self._driver.setProperty("rate", int(self.settings.rate))
        self._driver.setProperty("volume", float(self.settings.volume))
        self._driver.setProperty("pitch", int(self.settings.pitch))
        self.voice_id = str(self._driver.getProperty("voice"))

    def _settings_hold(self) -> bool:
        es = self._es
        return bool(
            es.GetParameter(es.RATE) == int(self.settings.rate)
            and es.GetParameter(es.PITCH) == int(self.settings.pitch)
        )

    @classmethod
    def identity(cls, settings: VoiceSettings) -> str:
        espeak = _espeak_module().Info(None).decode("ascii", "replace")
        return f"pyttsx3 {installed_version('pyttsx3')}/espeak-ng {espeak}"

    def voices(self) -> list[VoiceInfo]:
        found = self._driver.getProperty("voices")
        return [VoiceInfo(v.id, v.name, tuple(v.languages or ())) for v in found]

    # -- synthesis --------------------------------------------------------------------
    def _on_synth(self, wav: Any, numsamples: int, events: Any) -> int:
        es = self._es
        finished = False
        i = 0
        while events[i].type != es.EVENT_LIST_TERMINATED:
            event = events[i]
            if event.type == es.EVENT_WORD:
                self._words.append((event.text_position, event.length, event.audio_position))
            elif event.type == es.EVENT_MSG_TERMINATED:
                finished = True
            i += 1
        if numsamples > 0:
            self._chunks.append(ctypes.string_at(wav, numsamples * 2))
        if finished:  # after the last samples are kept
            self._finished.set()
        return 0

    def _run_once(self, text: str) -> Clip | None:
        es = self._es
        if not self._settings_hold():
            self._apply_settings()
        self._chunks, self._words = [], []
        self._finished.clear()
        # PHONEMES: [[...]] is espeak phoneme input. Only a lexicon's respelling can hold
        # it: the text front end strips brackets from article text.
        if es.Synth(text.encode("utf-8"), flags=es.CHARS_UTF8 | es.PHONEMES) != es.EE_OK:
            return None
        # A sentence takes espeak-ng well under 1 ms per character; allow far more.
        if not self._finished.wait(timeout=10 + len(text) / 20) or not self._settings_hold():
            es.Cancel()
            es.Synchronize()  # drain, so nothing of this attempt reaches the next one
            return None
        pcm = b"".join(self._chunks)
        clip = Clip(pcm=pcm, sample_rate=self.sample_rate)
        return Clip(pcm=pcm, sample_rate=self.sample_rate, words=self._word_timings(text, clip))

    def _word_timings(self, text: str, clip: Clip) -> tuple[Word, ...]:
        starts = [(pos, length, ms) for pos, length, ms in self._words if length > 0]
        words = []
        for n, (pos, length, ms) in enumerate(starts):
            end = starts[n + 1][2] if n + 1 < len(starts) else int(clip.duration_ms)
            words.append(Word(text[pos - 1 : pos - 1 + length], ms, max(ms, end)))
        return tuple(words)

    def synthesize(self, text: str) -> Clip:
        for _ in range(ATTEMPTS):
            clip = self._run_once(text)
            if clip is not None and clip.frames > 0:
                return clip
        raise EngineError(f"espeak-ng produced no audio for: {text[:80]!r}", text=text)

    def close(self) -> None:
        self._es.Cancel()
        # Drop pyttsx3's engine now, so its finaliser runs while the interpreter is whole.
        self._driver = None
        self._pyttsx3 = None
