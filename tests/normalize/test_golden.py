"""Golden files, NeMo style: ``data/test_cases_<class>.txt`` holds ``written~spoken`` lines;
``spoken`` may list alternatives separated by ``|``. Regressions go in the file of the class
that broke."""

from __future__ import annotations

from pathlib import Path

import pytest

from narrate.normalize import normalize

DATA = Path(__file__).parent / "data"


def cases() -> list[pytest.param]:
    out = []
    for path in sorted(DATA.glob("test_cases_*.txt")):
        kind = path.stem.removeprefix("test_cases_")
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if line.strip() and not line.startswith("#"):
                written, spoken = line.split("~", 1)
                out.append(pytest.param(written, spoken.split("|"), id=f"{kind}:{number}"))
    return out


@pytest.mark.parametrize(("written", "spoken"), cases())
def test_golden(written: str, spoken: list[str]) -> None:
    assert normalize(written) in spoken


@pytest.mark.parametrize(("written", "spoken"), cases())
def test_golden_is_stable(written: str, spoken: list[str]) -> None:
    once = normalize(written)
    assert normalize(once) == once
