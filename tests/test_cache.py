"""The clip cache: round trip, keys, and corrupt entries detected and never played."""

from __future__ import annotations

from pathlib import Path

from narrate.cache import ClipCache, clip_key
from narrate.models import Clip, Word


def clip() -> Clip:
    return Clip(b"\x01\x02" * 500, 22050, words=(Word("hi", 0, 10),))


def test_round_trip(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    cache.put("k" * 64, clip())
    assert cache.get("k" * 64) == clip()
    assert cache.info() == (1, next(tmp_path.rglob("*.clip")).stat().st_size)


def test_key_changes_with_anything_that_changes_the_sound() -> None:
    base = clip_key("engine 1.0", ("en-us", 175), "Hello.")
    assert clip_key("engine 1.1", ("en-us", 175), "Hello.") != base
    assert clip_key("engine 1.0", ("en-us", 200), "Hello.") != base
    assert clip_key("engine 1.0", ("en-us", 175), "Hello!") != base
    assert clip_key("engine 1.0", ("en-us", 175), "Hello.") == base


def test_truncated_or_corrupted_entries_are_dropped(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    for n, damage in enumerate([lambda b: b[:-10], lambda b: b[:30] + b"X" + b[31:], lambda b: b""]):
        key = f"{n}" * 64
        cache.put(key, clip())
        path = next(tmp_path.rglob(f"{key}.clip"))
        path.write_bytes(damage(path.read_bytes()))
        assert cache.get(key) is None
        assert not path.exists()


def test_disabled_cache_holds_nothing(tmp_path: Path) -> None:
    cache = ClipCache(None)
    cache.put("a" * 64, clip())
    assert cache.get("a" * 64) is None


def test_entries_left_half_written_by_killed_writers_are_removed(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    cache.put_entry("clips", "ab" * 32, {"n": 1}, b"kept")
    folder = next((tmp_path / "clips").iterdir())
    (folder / ".tmp-4242-x1.clip").write_bytes(b"half")
    (folder / ".tmp-777-x2.clip").write_bytes(b"someone else's, still writing")
    cache.remove_partial([4242])
    names = sorted(p.name for p in folder.iterdir())
    assert ".tmp-4242-x1.clip" not in names and ".tmp-777-x2.clip" in names
    assert cache.get_entry("clips", "ab" * 32) is not None


def test_a_killed_runs_half_entries_go_with_the_next_runs_first_write(tmp_path: Path) -> None:
    """A run killed outright (its writer a zombie not yet reaped, as when a SIGKILLed run's
    workers wait for init) leaves .tmp files; the next run's first write removes them,
    whether or not it needs the engine's workers."""
    import subprocess
    import sys

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    while not Path(f"/proc/{dead.pid}/stat").read_text().split(") ")[1].startswith("Z"):
        pass  # exited and not reaped (no poll(), which would reap it): a zombie
    leftover = tmp_path / "pieces" / "cd" / f".tmp-{dead.pid}-x.piece"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"half")
    from narrate.scratch import alive

    assert not alive(dead.pid)
    ClipCache(tmp_path).put_entry("pieces", "cd" * 32, {}, b"whole")
    assert not leftover.exists()
    dead.wait()
