"""Turn utterance texts into verified clips in the clip cache: cache first, then engines
in worker processes.

Each worker process loads one engine once (espeak-ng has a single global callback, so
threads are out and ``fork`` after initialisation hangs: workers are spawned) and writes
each clip straight into the cache, so audio never crosses the process boundary twice
and the main process never holds more than one clip. Every clip is checked — present,
non-empty, a duration plausible for its text at the set rate — and re-made if not; a
sentence that still fails stops the run with an error that names it. Nothing is ever
silently dropped. Without a cache (``--no-cache``) a temporary one lives for the run.
This is the main side; workers.py is what runs in each worker.
"""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import multiprocessing
import shutil
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from narrate import scratch, worker_pool, workers
from narrate.cache import ClipCache, clip_key, default_cache_dir
from narrate.engines.base import Engine, VoiceSettings, engine_class
from narrate.errors import EngineError, NarrateError, SuspectClip
from narrate.models import Clip

if TYPE_CHECKING:  # the workers import this module: they need no settings machinery
    from narrate.config import Settings

Progress = Callable[[int, int], None]
RETRIES = 3
IN_PROCESS_MAX = 2
WINDOW = 16  # sentences in flight per worker process
CHARS_PER_WORD = 6.0  # letters plus a space: espeak-ng speaks ~20 chars/s at 200 wpm


class WorkerLost(EngineError):
    """A worker hung or died: the pool is gone with it."""


@dataclass(frozen=True)
class Plan:
    keys: list[str]  # one per text, in order
    missing: dict[str, str]  # key → text, for the clips to make
    distinct: int  # distinct keys (identical texts are spoken once)


@dataclass
class SynthesisStats:
    synthesized: int = 0
    from_cache: int = 0
    retries: int = 0


def plausible(text: str, duration_ms: float, rate_wpm: int) -> bool:
    """Is a clip of ``duration_ms`` a believable reading of ``text`` at ``rate_wpm``?

    Catches the failures seen in pyttsx3's driver: missing or empty clips, clips cut
    short, and clips spoken far too slowly.
    """
    if duration_ms <= 0:
        return False
    expected_s = len(text.strip()) / (rate_wpm * CHARS_PER_WORD / 60.0)
    seconds = duration_ms / 1000.0
    return 0.5 * expected_s - 0.3 <= seconds <= 6.0 * expected_s + 2.0


# -- main side ------------------------------------------------------------------------
class Synthesizer:
    """Context manager: ``with Synthesizer(...) as s: keys = s.synthesize(texts)``.

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
        shared: bool = False,
    ) -> None:
        """``shared``: one Synthesizer serves many articles from several threads (a
        batch): all ``jobs`` workers start at once and stay, and one article's failure
        leaves the workers to the others."""
        self.engine_name = engine_name
        self.settings = settings
        if jobs is None:
            from narrate.config import default_jobs

            jobs = default_jobs()
        self.jobs = jobs
        self._scratch: str | None = None
        if cache is None or cache.root is None:
            self._scratch = scratch.make("clips")
            cache = ClipCache(Path(self._scratch))
        self.cache = cache
        self.timeout_s = timeout_s
        self.stats = SynthesisStats()
        self._engine_cls = engine_class(engine_name)
        # An engine whose model runs on several threads (Piper) takes that many cores per worker.
        threads = getattr(self._engine_cls, "threads_per_worker", None)
        self.processes = max(1, self.jobs // max(1, threads() if callable(threads) else 1))
        self._local: Engine | None = None
        self._pool: cf.ProcessPoolExecutor | None = None
        self.shared = shared
        self._lock = threading.Lock()
        self._identity: str | None = None
        self._ready: list[cf.Future[str | None]] = []  # the early workers' identities

    def identity(self) -> str:
        """The engine's identity (part of every clip's key). Workers started early say it
        once their engine is loaded: reading it here would load the engine's library
        into this process (~20 ms for espeak-ng, before the first sentence can go out)."""
        if self._identity is None:
            ready = self._ready
            self._ready = []
            if ready:
                done, _ = cf.wait(ready, timeout=self.timeout_s, return_when=cf.FIRST_COMPLETED)
                said = [future.result() for future in done if future.exception() is None]
                self._identity = next((i for i in said if isinstance(i, str)), None)
            if self._identity is None:
                self._identity = self._engine_cls.identity(self.settings)
        return self._identity

    @property
    def rate_hint(self) -> int | None:
        """The sample rate the engine's clips usually have, if it says."""
        hint = getattr(self._engine_cls, "rate_hint", None)
        return hint if isinstance(hint, int) else None

    def __enter__(self) -> Synthesizer:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is not None:  # failing: the workers are stopped, not waited for (a pool
            self._kill_pool()  # that failed half-way through starting never answers)
            worker_pool.kill_strays()
        self.close()

    def close(self) -> None:
        if self._local is not None:
            self._local.close()
            self._local = None
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def _kill_pool(self, which: cf.ProcessPoolExecutor | None = None) -> None:
        """Stop ``which`` pool (by default the current one) and its workers at once. Taken
        from ``self._pool`` under the lock: two threads cannot both shut it down."""
        with self._lock:
            executor = which
            if which is None or which is self._pool:
                executor, self._pool = self._pool, None
        if executor is None:
            return
        pids = worker_pool.stop(executor)
        # A worker killed while writing a clip leaves a temporary file: never a clip
        # (only whole files are renamed into place), but litter.
        self.cache.remove_partial(pids)
        self.cache.remove_orphans()

    def _replace(self, broken: cf.ProcessPoolExecutor) -> cf.ProcessPoolExecutor:
        """A worker died (killed by the OOM killer, say) and took ``broken`` with it: a
        fresh pool, made once however many threads saw the death."""
        self._kill_pool(broken)
        return self._workers(self.jobs)

    def _submit(self, pool: cf.ProcessPoolExecutor, text: str, key: str
                ) -> tuple[cf.ProcessPoolExecutor, cf.Future[float]]:
        """Submit to ``pool``, or to its replacement if it broke meanwhile."""
        for _ in range(RETRIES):
            try:
                with worker_pool.sigint_held():
                    return pool, pool.submit(workers.synthesize, text, key)
            except (cf.process.BrokenProcessPool, RuntimeError):  # broken, or shut down by another thread
                pool = self._replace(pool)
        raise WorkerLost(f"the engine workers keep dying; could not speak: {text[:100]!r}", text=text)

    def keys(self, texts: Sequence[str]) -> list[str]:
        identity = self.identity()
        return [clip_key(identity, self.settings, t) for t in texts]

    def start(self) -> None:
        """Start the workers now, ahead of the first synthesis (their interpreter and
        engine load while this process is still preparing the text)."""
        if self.jobs == 0 or self._pool is not None:
            return
        pool = self._workers(self.jobs)
        with worker_pool.sigint_held():
            self._ready = [pool.submit(workers.ready) for _ in range(self.processes)]

    def plan(self, texts: Sequence[str]) -> Plan:
        """What ``texts`` need: their keys in order, and which of them the cache lacks
        (or holds a clip of that is not believable)."""
        keys = self.keys(texts)
        wanted = dict(zip(keys, texts, strict=True))
        missing = {}
        for key, text in wanted.items():
            cached = self.cache.get(key)
            if cached is None or not plausible(text, cached.duration_ms, self.settings.rate):
                missing[key] = text
        return Plan(keys, missing, len(wanted))

    def stream(self, plan: Plan, progress: Progress | None = None) -> Iterator[str]:
        """The plan's keys, in order, each as soon as its clip and every clip before it
        are in the cache: assembly runs while the workers are still speaking."""
        done = plan.distinct - len(plan.missing)
        self.stats.from_cache += done
        if progress:
            progress(done, plan.distinct)
        ready = set(plan.keys) - set(plan.missing)
        position = 0
        for key in self._synthesize_missing(list(plan.missing.items())):
            ready.add(key)
            done += 1
            self.stats.synthesized += 1
            if progress:
                progress(done, plan.distinct)
            while position < len(plan.keys) and plan.keys[position] in ready:
                yield plan.keys[position]
                position += 1
        yield from plan.keys[position:]

    def synthesize(self, texts: Sequence[str], progress: Progress | None = None) -> list[str]:
        """Make sure the cache holds a verified clip for every text; return their keys,
        in order. Identical texts are synthesised once."""
        return list(self.stream(self.plan(texts), progress))

    def clip(self, key: str) -> Clip:
        clip = self.cache.get(key)
        if clip is None:  # removed or damaged since it was verified: a cache under attack
            raise EngineError("a clip vanished from the cache during the run; run again")
        return clip

    def synthesize_all(self, texts: Sequence[str], progress: Progress | None = None) -> list[Clip]:
        """The verified clips themselves (convenient for short lists)."""
        return [self.clip(k) for k in self.synthesize(texts, progress)]

    def _synthesize_missing(self, items: list[tuple[str, str]]) -> Iterator[str]:
        if not items:
            return
        # A worker costs a process start and an engine load (~0.2 s): for an edit or two,
        # this process speaks them itself (spawned workers come later if ever needed).
        # (Only for engines that bound their own waits: in this process no timeout applies.)
        small = len(items) <= IN_PROCESS_MAX and getattr(self._engine_cls, "bounded", False)
        if self.jobs == 0 or (small and self._pool is None and not self.shared):
            yield from self._in_process(items)
        else:
            yield from self._in_workers(items)

    def _in_process(self, items: list[tuple[str, str]]) -> Iterator[str]:
        if self._local is None:
            self._local = self._engine_cls.load(self.settings)
        for key, text in items:
            for _ in range(RETRIES):
                clip = self._attempt(text)
                if clip is not None and plausible(text, clip.duration_ms, self.settings.rate):
                    workers.store(self.cache, key, clip)
                    break
                self.stats.retries += 1
            else:
                raise self._unusable(text)
            yield key

    def _attempt(self, text: str) -> Clip | None:
        """One try in this process; the engine's own failure counts as a bad clip (retried,
        then reported with the sentence), as it does in a worker."""
        assert self._local is not None
        try:
            return self._local.synthesize(text)
        except SuspectClip:
            return None
        except NarrateError:
            raise
        except Exception:
            return None

    def _unusable(self, text: str) -> EngineError:
        return EngineError(
            f"the engine kept producing unusable audio ({RETRIES} tries) for: {text[:100]!r}",
            text=text,
        )

    def _start_method(self) -> str:
        return worker_pool.start_method(in_process_engine=self._local is not None)

    def _workers(self, wanted: int) -> cf.ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = cf.ProcessPoolExecutor(
                    max_workers=max(1, self.processes if self.shared else min(self.processes, wanted)),
                    mp_context=multiprocessing.get_context(self._start_method()),
                    initializer=workers.init,
                    initargs=(f"{self._engine_cls.__module__}:{self._engine_cls.__qualname__}",
                              self.settings, str(self.cache.root)),
                )
            return self._pool

    def _in_workers(self, items: list[tuple[str, str]]) -> Iterator[str]:
        pool = self._workers(len(items))
        pending: dict[Any, tuple[str, str, int]] = {}
        queued = iter(items)  # submitted WINDOW at a time: a future costs ~1.5 KB, a 3-hour article has 2,000
        try:
            while True:
                for key, text in itertools.islice(queued, max(0, WINDOW * self.processes - len(pending))):
                    pool, future = self._submit(pool, text, key)
                    pending[future] = (key, text, 1)
                if not pending:
                    break
                done, _ = cf.wait(pending, timeout=self.timeout_s, return_when=cf.FIRST_COMPLETED)
                if not done:
                    pool, pending = self._after_a_hang(pending)
                    continue
                lost = []
                for future in done:
                    key, text, attempt = pending.pop(future)
                    try:
                        duration = self._result(future, text)
                    except WorkerLost:
                        lost.append((key, text, attempt))
                        continue
                    if duration is not None and plausible(text, duration, self.settings.rate):
                        yield key
                    elif attempt < RETRIES:
                        self.stats.retries += 1
                        pool, retry = self._submit(pool, text, key)
                        pending[retry] = (key, text, attempt + 1)
                    else:
                        raise self._unusable(text)
                if lost:  # a dead worker: a fresh pool, and what it was speaking tried again
                    pool = self._replace(pool)
                for key, text, attempt in lost:
                    if attempt >= RETRIES:
                        raise WorkerLost(f"an engine worker died while speaking ({RETRIES} tries): "
                                         f"{text[:100]!r}", text=text)
                    self.stats.retries += 1
                    pool, retry = self._submit(pool, text, key)
                    pending[retry] = (key, text, attempt + 1)
        except EngineError as exc:
            # A hung worker takes the pool with it; a sentence the engine cannot speak
            # does not (in a batch the other articles go on).
            if not self.shared or isinstance(exc, WorkerLost):
                self._kill_pool(None if not self.shared else pool)
            raise
        except BaseException:
            self._kill_pool(None if not self.shared else pool)
            raise

    def _after_a_hang(self, pending: dict[Any, tuple[str, str, int]]
                      ) -> tuple[cf.ProcessPoolExecutor, dict[Any, tuple[str, str, int]]]:
        """Nothing finished in time: every pending sentence again, in fresh workers (RETRIES tries)."""
        oldest_text, oldest_attempt = max(((t, a) for _, t, a in pending.values()), key=lambda p: p[1])
        if oldest_attempt >= RETRIES:
            raise WorkerLost(
                f"the engine did not answer within {self.timeout_s:.0f} s ({RETRIES} tries) "
                f"for: {oldest_text[:100]!r}",
                text=oldest_text,
            )
        self._kill_pool()
        self.stats.retries += 1
        pool = self._workers(len(pending))
        retried = {}
        for key, text, attempt in pending.values():
            pool, future = self._submit(pool, text, key)
            retried[future] = (key, text, attempt + 1)
        return pool, retried

    @staticmethod
    def _result(future: cf.Future[float], text: str) -> float | None:
        try:
            return future.result()
        except SuspectClip:  # made again, then reported with the sentence
            return None
        except NarrateError:
            raise
        except cf.process.BrokenProcessPool as exc:
            raise WorkerLost(f"an engine worker died while speaking: {text[:100]!r}") from exc
        except Exception:  # the engine's own failure: retried, then reported by the caller
            return None


def synthesizer_for(settings: Settings, shared: bool = False) -> Synthesizer:
    """A Synthesizer for these settings (the clip cache unless --no-cache)."""
    cache = ClipCache(default_cache_dir() if settings.cache else None)
    return Synthesizer(settings.engine, settings.voice, jobs=settings.jobs, cache=cache, shared=shared)
