"""Atomic output: every file is written under a temporary name in its destination
folder and renamed into place only when the whole narration has succeeded. Ctrl-C, a
crash or a full disk leave no half-written file at the destination."""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from narrate.errors import OutputError
from narrate.scratch import alive


def ensure_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"cannot write to {folder}: it is a file, not a folder") from None
    except NotADirectoryError:
        raise OutputError(f"cannot write to {folder}: part of that path is a file") from None
    except OSError as exc:
        raise OutputError(f"cannot create {folder}: {exc.strerror}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write to {folder}: permission denied")


def refuse_symlink(dest: Path) -> None:
    """Outputs are never written through, or in place of, a symbolic link: the link
    might point anywhere (another user's file, a system file)."""
    if dest.is_symlink():
        raise OutputError(f"refusing to replace {dest}: it is a symbolic link (remove it first)")


def refuse_to_replace(dest: Path, source: str | None = None) -> None:
    """Only regular files are ever written or replaced: never through a symbolic link,
    never over a device node, FIFO, socket or folder (as root, ``-o /dev/null`` would
    replace /dev/null), and never over the article being narrated."""
    refuse_symlink(dest)
    try:
        info = dest.stat()
    except OSError:
        return  # nothing there yet
    if not stat.S_ISREG(info.st_mode):
        what = "a folder" if stat.S_ISDIR(info.st_mode) else "a device, FIFO or socket"
        raise OutputError(f"refusing to write {dest}: it is {what}, not a regular file")
    if source is not None and source != "-":
        with contextlib.suppress(OSError):
            if os.path.samefile(source, dest):
                raise OutputError(f"refusing to write {dest}: it is the article being narrated "
                                  "(choose another -o)")


@contextlib.contextmanager
def _locked(folder: str) -> Iterator[None]:
    """An exclusive advisory lock on a folder (flock on the directory itself: no lock file)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def remove_stale(dest: Path) -> None:
    """Delete temporary files for ``dest`` left by a process that was killed (their
    names carry its PID); a live writer's files are left alone."""
    for leftover in dest.parent.glob(f".{glob.escape(dest.name)}.*.part"):
        pid = leftover.name[len(dest.name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and not alive(int(pid)):
            with contextlib.suppress(OSError):
                leftover.unlink()


class Staging:
    """Temporary files for a set of destinations, renamed together by ``commit``.

    Use as a context manager: leaving the block without ``commit()`` removes them all.
    """

    def __init__(self) -> None:
        self._pending: list[tuple[Path, Path]] = []

    def path_for(self, dest: Path) -> Path:
        ensure_folder(dest.parent)
        remove_stale(dest)
        try:
            fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.{os.getpid()}.", suffix=".part")
        except OSError as exc:
            raise OutputError(f"cannot write to {dest.parent}: {exc.strerror}") from None
        os.close(fd)
        self._pending.append((Path(tmp), dest))
        return Path(tmp)

    def write_text(self, dest: Path, text: str) -> Path:
        tmp = self.path_for(dest)
        try:
            tmp.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"cannot write {dest}: {exc.strerror}") from None
        return tmp

    def write_with(self, dest: Path, write: Callable[[IO[str]], None]) -> Path:
        """Stage ``dest`` with the text ``write`` writes to a handle (as it goes: a long
        text is never whole in memory)."""
        tmp = self.path_for(dest)
        try:
            with tmp.open("w", encoding="utf-8") as handle:
                write(handle)
        except OSError as exc:
            raise OutputError(f"cannot write {dest}: {exc.strerror}") from None
        return tmp

    def forget(self, tmp: Path) -> None:
        """Remove a staged scratch file now; it will not be renamed into place."""
        for pair in [p for p in self._pending if p[0] == tmp]:
            self._pending.remove(pair)
        with contextlib.suppress(OSError):
            tmp.unlink()

    def commit(self) -> None:
        """Rename every staged file into place, in the order staged (manifest last).
        Every destination is checked first, so a refusal leaves all of them as they were;
        the folders are locked meanwhile, so two runs writing the same output cannot
        interleave their renames (one's audio with the other's manifest)."""
        with contextlib.ExitStack() as locks:
            for folder in sorted({str(dest.parent) for _, dest in self._pending}):
                locks.enter_context(_locked(folder))
            for _, dest in self._pending:
                refuse_to_replace(dest)
            for tmp, dest in self._pending:
                try:
                    os.chmod(tmp, 0o644)
                    os.replace(tmp, dest)
                except OSError as exc:
                    raise OutputError(f"cannot write {dest}: {exc.strerror}") from None
        self._pending.clear()

    def discard(self) -> None:
        for tmp, _ in self._pending:
            with contextlib.suppress(OSError):
                tmp.unlink()
        self._pending.clear()

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()
