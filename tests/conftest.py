"""Shared fixtures: every test gets its own cache folder; helpers to run the CLI and to
decode real audio."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parent.parent
SHARED_SAMPLES = REPO.parent / "shared" / "samples"


@pytest.fixture(autouse=True, scope="session")
def isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The whole run uses a cache in a temp folder: tests never touch the user's cache."""
    root = tmp_path_factory.mktemp("cache")
    patch = pytest.MonkeyPatch()
    patch.setenv("NARRATE_CACHE_DIR", str(root))
    patch.setenv("XDG_CACHE_HOME", str(root))
    yield root
    patch.undo()


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache for one test."""
    root = tmp_path / "fresh-cache"
    monkeypatch.setenv("NARRATE_CACHE_DIR", str(root))
    return root


def run_narrate(*args: str, stdin: bytes | None = None, cwd: Path | None = None,
                env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the real command line (``python -m narrate``) as a user would."""
    import os

    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "narrate", *args],
        input=stdin.decode("utf-8", "surrogateescape") if stdin is not None else None,
        capture_output=True, text=True, cwd=cwd, env=full_env, timeout=timeout, check=False,
    )


SHORT = "Harbour Reopens After Repairs\n\nThe harbour reopened on Monday. Ferries ran on time.\n"


@pytest.fixture
def short_article(tmp_path: Path) -> Path:
    """A two-sentence article with a headline: quick to narrate."""
    src = tmp_path / "short.txt"
    src.write_text(SHORT, encoding="utf-8")
    return src


def assert_clean_failure(result: subprocess.CompletedProcess[str], message: str, out: Path | None = None,
                         code: int = 1, prefix: str = "narrate: error: ") -> None:
    """One line on stderr naming the problem, the exit code, no traceback, and (given
    ``out``) nothing written there."""
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(prefix) and message in lines[0], lines[0]
    assert "Traceback" not in result.stderr
    if out is not None:
        assert not out.exists() or not any(out.iterdir()), sorted(p.name for p in out.iterdir())


pytest_plugins = ["service_tools"]  # the narrate serve fixtures (a real server on loopback)
