"""Docs that cannot drift: every command answers --help with real help text, and the
README shows each one."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from conftest import REPO
from narrate.cli import cli

README = (REPO / "README.md").read_text(encoding="utf-8")


def commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found += commands(command, (*prefix, name))
    return found


@pytest.mark.parametrize("path", [(), *commands(cli)], ids=lambda p: " ".join(p) or "narrate")
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ")
    summary = result.output.split("\n\n")[1].strip()
    assert len(summary) > 20, f"{' '.join(path)} needs help text"


@pytest.mark.parametrize("path", [p for p in commands(cli) if p != ("speak",)], ids=" ".join)
def test_every_command_is_in_the_readme(path: tuple[str, ...]) -> None:
    assert f"narrate {' '.join(path)}" in README


def test_the_readme_gives_the_two_commands() -> None:
    assert "make demo" in README and "make test" in README
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci
