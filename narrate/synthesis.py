"""Turn utterance texts into verified clips: cache first, then engines in worker processes.

Each worker process loads one engine once (espeak-ng has a single global callback, so
threads are out and ``fork`` after initialisation hangs: workers are spawned). Every
clip is checked before it is used — present, non-empty, a duration plausible for its
text at the set rate — and re-made if not; a sentence that still fails stops the run
with an error that names it. Nothing is ever silently dropped.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from narrate.cache import ClipCache, clip_key
from narrate.engines.base import Engine, VoiceSettings, engine_class
from narrate.errors import EngineError, NarrateError
from narrate.models import Clip

Progress = Callable[[int, int], None]
RETRIES = 3
CHARS_PER_WORD = 6.0  # letters plus a space: espeak-ng speaks ~20 chars/s at 200 wpm


@dataclass
class SynthesisStats:
    synthesized: int = 0
    from_cache: int = 0
    retries: int = 0


def plausible(text: str, clip: Clip, rate_wpm: int) -> bool:
    """Is ``clip`` a believable reading of ``text`` at ``rate_wpm``?

    Catches the failures seen in pyttsx3's driver: missing or empty clips, clips cut
    short, and clips spoken far too slowly.
    """
    if clip.frames == 0:
        return False
    expected_s = len(text.strip()) / (rate_wpm * CHARS_PER_WORD / 60.0)
    seconds = clip.duration_ms / 1000.0
    return 0.4 * expected_s - 0.3 <= seconds <= 6.0 * expected_s + 2.0


# -- worker side ----------------------------------------------------------------------
_WORKER: dict[str, Any] = {}


def _worker_init(engine_name: str, settings: VoiceSettings) -> None:
    # The engine driver may chatter on stdout; a worker's stdout is never ours to use.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the worker
    try:
        _WORKER["engine"] = engine_class(engine_name).load(settings)
    except NarrateError as exc:
        _WORKER["error"] = exc


def _worker_synthesize(text: str) -> Clip:
    if "error" in _WORKER:
        raise _WORKER["error"]
    engine: Engine = _WORKER["engine"]
    return engine.synthesize(text)


# -- main side ------------------------------------------------------------------------
class Synthesizer:
    """Context manager: ``with Synthesizer(...) as s: clips = s.synthesize_all(texts)``.

    ``jobs=0`` runs the engine in this process (tests with a fake engine); otherwise up
    to ``jobs`` spawned workers, started only when something is not in the cache.
    """

    def __init__(
        self,
        engine_name: str,
        settings: VoiceSettings,
        *,
        jobs: int | None = None,
        cache: ClipCache | None = None,
        timeout_s: float = 120.0,
    ) -> None:
        self.engine_name = engine_name
        self.settings = settings
        self.jobs = jobs if jobs is not None else (os.cpu_count() or 1)
        self.cache = cache or ClipCache(None)
        self.timeout_s = timeout_s
        self.stats = SynthesisStats()
        self._engine_cls = engine_class(engine_name)
        self._local: Engine | None = None
        self._pool: cf.ProcessPoolExecutor | None = None

    def identity(self) -> str:
        return self._engine_cls.identity(self.settings)

    def __enter__(self) -> Synthesizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._local is not None:
            self._local.close()
            self._local = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _kill_pool(self) -> None:
        if self._pool is None:
            return
        for proc in list(getattr(self._pool, "_processes", {}).values()):
            with contextlib.suppress(Exception):
                proc.kill()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None

    def synthesize_all(self, texts: Sequence[str], progress: Progress | None = None) -> list[Clip]:
        """One verified clip per text, in order. Identical texts are synthesised once."""
        identity = self.identity()
        keys = {t: clip_key(identity, self.settings, t) for t in texts}
        clips: dict[str, Clip] = {}
        for text, key in keys.items():
            cached = self.cache.get(key)
            if cached is not None and plausible(text, cached, self.settings.rate):
                clips[text] = cached
        self.stats.from_cache += len(clips)
        missing = [t for t in keys if t not in clips]
        total = len(keys)
        if progress:
            progress(len(clips), total)
        for text, clip in self._synthesize_missing(missing):
            self.cache.put(keys[text], clip)
            clips[text] = clip
            self.stats.synthesized += 1
            if progress:
                progress(len(clips), total)
        return [clips[t] for t in texts]

    def _synthesize_missing(self, texts: list[str]) -> Any:
        if not texts:
            return
        if self.jobs == 0:
            if self._local is None:
                self._local = self._engine_cls.load(self.settings)
            for text in texts:
                yield text, self._verified(text, self._local.synthesize)
            return
        yield from self._in_workers(texts)

    def _verified(self, text: str, run: Callable[[str], Clip]) -> Clip:
        for _ in range(RETRIES):
            clip = run(text)
            if plausible(text, clip, self.settings.rate):
                return clip
            self.stats.retries += 1
        raise EngineError(
            f"the engine kept producing unusable audio ({RETRIES} tries) for: {text[:100]!r}",
            text=text,
        )

    def _in_workers(self, texts: list[str]) -> Any:
        if self._pool is None:
            workers = max(1, min(self.jobs, len(texts)))
            self._pool = cf.ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_init,
                initargs=(self.engine_name, self.settings),
            )
        pending = {self._pool.submit(_worker_synthesize, t): (t, 1) for t in texts}
        try:
            while pending:
                done, _ = cf.wait(pending, timeout=self.timeout_s, return_when=cf.FIRST_COMPLETED)
                if not done:
                    text = pending[next(iter(pending))][0]
                    raise EngineError(
                        f"the engine did not answer within {self.timeout_s:.0f} s for: {text[:100]!r}",
                        text=text,
                    )
                for future in done:
                    text, attempt = pending.pop(future)
                    clip = self._result(future, text)
                    if clip is not None and plausible(text, clip, self.settings.rate):
                        yield text, clip
                    elif attempt < RETRIES:
                        self.stats.retries += 1
                        pending[self._pool.submit(_worker_synthesize, text)] = (text, attempt + 1)
                    else:
                        raise EngineError(
                            f"the engine kept producing unusable audio ({RETRIES} tries) "
                            f"for: {text[:100]!r}",
                            text=text,
                        )
        except BaseException:
            self._kill_pool()
            raise

    @staticmethod
    def _result(future: cf.Future[Clip], text: str) -> Clip | None:
        try:
            return future.result()
        except NarrateError:
            raise
        except cf.process.BrokenProcessPool as exc:
            raise EngineError(f"an engine worker died while speaking: {text[:100]!r}") from exc
        except Exception:  # the engine's own failure: retried, then reported by the caller
            return None
