"""The sentence cache and up-to-date outputs, through the real command line: an edit
re-synthesises exactly the edited sentence, an unchanged re-run makes nothing, a
damaged cache entry is re-made and never played."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from audio_tools import decode
from conftest import DATA, run_narrate

ARTICLE = (DATA / "reservoir.txt").read_text(encoding="utf-8")


def counts(stdout: str) -> tuple[int, int]:
    """(synthesised, from cache) from narrate's summary line."""
    words = stdout.replace("(", " ").replace(",", " ").split()
    return int(words[words.index("synthesised") - 1]), int(words[words.index("from") - 1])


def test_editing_one_sentence_resynthesises_exactly_that_sentence(tmp_path: Path, fresh_cache: Path) -> None:
    src = tmp_path / "a.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    first = run_narrate(str(src), "-o", str(tmp_path / "a.mp3"))
    assert first.returncode == 0, first.stderr
    synthesised, cached = counts(first.stdout)
    assert cached == 0 and synthesised == 10  # nine utterances and the disclaimer
    src.write_text(ARTICLE.replace("fifty years", "five decades"), encoding="utf-8")
    second = run_narrate(str(src), "-o", str(tmp_path / "a.mp3"))
    assert second.returncode == 0, second.stderr
    assert counts(second.stdout) == (1, 9)
    manifest = json.loads((tmp_path / "a.json").read_text())
    assert any("five decades" in u["written"] for u in manifest["utterances"])


def test_an_edit_in_a_long_article_re_encodes_only_the_pieces_around_it(tmp_path: Path, fresh_cache: Path
                                                                        ) -> None:
    # A fresh cache: with a shared one, pieces of other tests' narrations of the same
    # body can line up with these and rightly come from the cache.
    body = ARTICLE.splitlines()[2:-2]
    parts = [f"Part {n}.\n" + "\n".join(body) for n in ("one", "two", "three", "four")]
    src = tmp_path / "long.txt"
    src.write_text("\n\n".join(parts), encoding="utf-8")
    first = run_narrate(str(src), "-o", str(tmp_path / "l.mp3"))
    assert first.returncode == 0, first.stderr
    total = int(first.stdout.split(" of ")[1].split()[0])
    assert total >= 3 and f"{total} of {total} pieces encoded" in first.stdout
    src.write_text(src.read_text(encoding="utf-8").replace("Part three.", "Part three, revised."),
                   encoding="utf-8")
    second = run_narrate(str(src), "-o", str(tmp_path / "l.mp3"))
    assert second.returncode == 0, second.stderr
    assert counts(second.stdout)[0] == 1
    # The edited piece, and the next one if the edit moved the pause they meet at.
    encoded = int(second.stdout.split(" of ")[0].split()[-1])
    assert 1 <= encoded <= 2 < total


def test_unchanged_rerun_is_skipped_and_force_remakes(tmp_path: Path) -> None:
    out = tmp_path / "r.mp3"
    assert run_narrate(str(DATA / "reservoir.txt"), "-o", str(out)).returncode == 0
    before = out.stat().st_mtime_ns
    again = run_narrate(str(DATA / "reservoir.txt"), "-o", str(out))
    assert again.returncode == 0 and "up to date" in again.stdout
    assert out.stat().st_mtime_ns == before
    forced = run_narrate(str(DATA / "reservoir.txt"), "-o", str(out), "--force")
    assert forced.returncode == 0 and "up to date" not in forced.stdout
    assert out.stat().st_mtime_ns != before


def test_changed_settings_or_damaged_output_are_not_up_to_date(tmp_path: Path) -> None:
    out = tmp_path / "r.mp3"
    assert run_narrate(str(DATA / "reservoir.txt"), "-o", str(out)).returncode == 0
    slower = run_narrate(str(DATA / "reservoir.txt"), "-o", str(out), "--rate", "150")
    assert slower.returncode == 0 and "up to date" not in slower.stdout
    out.write_bytes(out.read_bytes()[:-1000])  # truncated by something else
    repaired = run_narrate(str(DATA / "reservoir.txt"), "-o", str(out), "--rate", "150")
    assert repaired.returncode == 0 and "up to date" not in repaired.stdout
    assert json.loads((tmp_path / "r.json").read_text())["audio"]["bytes"] == out.stat().st_size


def test_a_damaged_cache_entry_is_remade_not_played(tmp_path: Path, fresh_cache: Path) -> None:
    assert run_narrate(str(DATA / "reservoir.txt"), "-o", str(tmp_path / "a.mp3")).returncode == 0
    entries = sorted(fresh_cache.rglob("*.clip"))
    for piece in fresh_cache.rglob("*.piece"):  # so the audio is really made again
        piece.unlink()
    assert len(entries) == 10
    entries[0].write_bytes(entries[0].read_bytes()[:-500])  # truncated
    data = bytearray(entries[1].read_bytes())
    data[-100] ^= 0xFF  # one flipped byte
    entries[1].write_bytes(bytes(data))
    again = run_narrate(str(DATA / "reservoir.txt"), "-o", str(tmp_path / "b.mp3"))
    assert again.returncode == 0, again.stderr
    assert counts(again.stdout) == (2, 8)
    # espeak-ng's pitch flutter runs on across utterances, so a re-made clip can differ
    # by a few samples from the first one: compare what a listener hears.
    first, second = decode(tmp_path / "a.mp3"), decode(tmp_path / "b.mp3")
    spans_a = json.loads((tmp_path / "a.json").read_text())["utterances"]
    spans_b = json.loads((tmp_path / "b.json").read_text())["utterances"]
    for a, b in zip(spans_a, spans_b, strict=True):
        clip_a = first[int(a["start_ms"] * 22.05) : int(a["end_ms"] * 22.05)]
        clip_b = second[int(b["start_ms"] * 22.05) : int(b["end_ms"] * 22.05)]
        assert abs(len(clip_a) - len(clip_b)) < 0.03 * len(clip_a), a["written"]
        level_a, level_b = (20 * np.log10(np.sqrt((c**2).mean())) for c in (clip_a, clip_b))
        assert abs(level_a - level_b) < 1.5, a["written"]


def test_no_cache_leaves_the_cache_alone(tmp_path: Path, fresh_cache: Path) -> None:
    result = run_narrate(str(DATA / "reservoir.txt"), "--no-cache", "-o", str(tmp_path / "a.mp3"))
    assert result.returncode == 0, result.stderr
    assert counts(result.stdout) == (10, 0)
    assert not list(fresh_cache.rglob("*.clip"))


def test_cache_info_and_clear(tmp_path: Path, fresh_cache: Path) -> None:
    assert run_narrate(str(DATA / "reservoir.txt"), "-o", str(tmp_path / "a.mp3")).returncode == 0
    info = run_narrate("cache", "info")
    assert info.returncode == 0 and "10 clips" in info.stdout and str(fresh_cache) in info.stdout
    cleared = run_narrate("cache", "clear")
    assert cleared.returncode == 0 and "removed" in cleared.stdout
    assert "0 clips, 0 encoded pieces" in run_narrate("cache", "info").stdout


def test_help_and_script_do_not_load_the_audio_stack() -> None:
    probe = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from narrate.cli import cli\n"
        f"r = CliRunner().invoke(cli, ['script', {str(DATA / 'reservoir.txt')!r}])\n"
        "assert r.exit_code == 0, r.output\n"
        "heavy = [m for m in ('pydub', 'pyttsx3', 'mutagen', 'narrate.render', 'multiprocessing') "
        "if m in sys.modules]\n"
        "print(heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
