"""Finding the article files a batch names: folders walked, ``**`` globs expanded.

Nothing is skipped without a word and nothing loops: a folder or file that cannot be
read is returned as a ``Problem`` (the batch reports it as a failed item), a symbolic
link back to a folder already walked is not walked again (cycles end), and file names
that are not valid UTF-8 are kept as bytes-in-str (``os.fsdecode``) with a printable
form for reports (``printable``).
"""

from __future__ import annotations

import fnmatch
import glob
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """Something a walk met but could not read: a failed item, never a silent skip."""

    path: Path
    reason: str


Found = Path | Problem


def printable(text: str) -> str:
    """``text`` safe to print and to write as UTF-8: bytes of a file name that were not
    valid UTF-8 (held as lone surrogates) become ``\\xff`` escapes."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def walk_files(folder: Path, suffixes: set[str]) -> Iterator[Found]:
    """Every file with one of ``suffixes`` under ``folder`` (hidden ones excepted), in
    sorted order; symbolic links to folders are followed once each (no cycles)."""
    yield from _walk(folder, suffixes, set(), depth=-1)


def _walk(folder: Path, suffixes: set[str] | None, seen: set[tuple[int, int]], depth: int) -> Iterator[Found]:
    """``depth``: how many more folder levels to enter (-1: no limit)."""
    try:
        info = folder.stat()
    except OSError as exc:
        yield Problem(folder, f"cannot read this folder ({_reason(exc)})")
        return
    if (info.st_dev, info.st_ino) in seen:
        return  # a link back to a folder already walked
    seen.add((info.st_dev, info.st_ino))
    try:
        with os.scandir(folder) as entries:
            names = sorted(entries, key=lambda e: e.name)
    except OSError as exc:
        yield Problem(folder, f"cannot read this folder ({_reason(exc)})")
        return
    for entry in names:
        if entry.name.startswith("."):
            continue
        path = folder / entry.name
        try:
            is_dir = entry.is_dir()
            is_file = not is_dir and entry.is_file()
        except OSError as exc:
            yield Problem(path, f"cannot read it ({_reason(exc)})")
            continue
        if is_dir:
            if depth != 0:
                yield from _walk(path, suffixes, seen, depth - 1)
        elif is_file and (suffixes is None or path.suffix.lower() in suffixes):
            yield path
        elif not is_file and not entry.is_symlink() and suffixes and path.suffix.lower() in suffixes:
            yield Problem(path, "cannot read it (not a regular file, or no permission to look)")


def expand_glob(pattern: str) -> list[Found]:
    """The files a glob matches, ``**`` spanning any number of folders, sorted; links
    are followed once each, so a symbolic link cycle ends."""
    parts = Path(pattern).parts
    fixed = next((n for n, p in enumerate(parts) if glob.has_magic(p)), len(parts))
    root = Path(*parts[:fixed]) if fixed else Path(".")
    wanted = parts[fixed:]
    if not root.is_dir():
        return []
    found: list[Found] = []
    depth = -1 if "**" in wanted else len(wanted) - 1
    for item in _walk(root, None, set(), depth):
        if isinstance(item, Problem):
            found.append(item)
            continue
        relative = item.relative_to(root).parts
        if _matches(wanted, relative):
            found.append(item)
    return sorted(found, key=lambda f: str(f.path if isinstance(f, Problem) else f))


def _matches(pattern: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    """Glob matching by path component; ``**`` matches zero or more components."""
    memo: dict[tuple[int, int], bool] = {}

    def match(i: int, j: int) -> bool:
        if (i, j) in memo:
            return memo[i, j]
        if i == len(pattern):
            result = j == len(parts)
        elif pattern[i] == "**":
            result = match(i + 1, j) or (j < len(parts) and match(i, j + 1))
        else:
            result = j < len(parts) and fnmatch.fnmatchcase(parts[j], pattern[i]) and match(i + 1, j + 1)
        memo[i, j] = result
        return result

    return match(0, 0)


