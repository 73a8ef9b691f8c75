"""Lexicons: file formats, layering, bounded rules, and priority inside normalize()."""

from __future__ import annotations

from pathlib import Path

import pytest

from narrate.errors import ConfigError
from narrate.normalize import normalize
from narrate.normalize.lexicon import Lexicon, Rule, default_lexicon, load_lexicon


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_tsv_entries_and_rules(tmp_path: Path) -> None:
    lex = load_lexicon(write(tmp_path, "l.tsv", "# names\nQuorvath\tKor-vath\n/\\bMcX(\\w+)/\tMack \\1\n"))
    assert lex.apply("Mayor Quorvath met McXavier.") == "Mayor Kor-vath met Mack avier."


def test_toml_entries_and_rules(tmp_path: Path) -> None:
    text = (
        '[words]\nQuorvath = "Kor-vath"\n"Port Ellen" = "Port Ellin"\n\n'
        '[[rules]]\npattern = "Zz"\nreplace = "zed"\n'
    )
    lex = load_lexicon(write(tmp_path, "l.toml", text))
    assert lex.apply("Quorvath of Port Ellen said Zz.") == "Kor-vath of Port Ellin said zed."


def test_matching_is_whole_word_and_case_sensitive() -> None:
    lex = Lexicon.from_pairs({"Nice": "Neese"})
    assert lex.apply("Nice is nice; Nicely.") == "Neese is nice; Nicely."


def test_merge_later_layer_wins() -> None:
    base = Lexicon.from_pairs({"Kyiv": "Keev", "Baku": "Ba-koo"})
    top = Lexicon.from_pairs({"Kyiv": "Kee-iv"}, (Rule("Ba-koo", "Bah-koo"),))
    merged = base.merge(top)
    assert dict(merged.entries) == {"Kyiv": "Kee-iv", "Baku": "Ba-koo"}
    assert merged.rules == top.rules
    assert base.merge(Lexicon()) == base


def test_lexicon_is_frozen() -> None:
    lex = Lexicon.from_pairs({"A": "B"})
    with pytest.raises(AttributeError):
        lex.entries = ()  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("missing-tab.tsv", "Quorvath Kor-vath\n"),
        ("digits.tsv", "Quorvath\tKor 2\n"),
        ("symbol.tsv", "Quorvath\tKor$vath\n"),
        ("bad-regex.tsv", "/(unclosed/\tx\n"),
        ("nested.tsv", "/(a+)+b/\tx\n"),
        ("nested-star.tsv", "/(\\w*\\s?)*$/\tx\n"),
        ("backref.tsv", "/(a)\\1/\tx\n"),
        ("bad.toml", "[words\n"),
        ("types.toml", "[words]\nQuorvath = 3\n"),
        ("rules.toml", "[[rules]]\npattern = 'a'\n"),
        ("binary.tsv", "\udcff"),
    ],
)
def test_bad_files_are_one_line_config_errors(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(ConfigError) as info:
        load_lexicon(path)
    assert "\n" not in str(info.value)
    assert str(path) in str(info.value)


def test_missing_file_is_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read lexicon"):
        load_lexicon(tmp_path / "nope.tsv")


def test_lexicon_applies_first_and_is_protected() -> None:
    lex = Lexicon.from_pairs({"NATO": "the alliance", "No. 10": "Number Ten", "Dr": "Drive"})
    out = normalize("NATO met at No. 10 on Elm Dr at 3 p.m.", lex)
    assert out == "the alliance met at Number Ten on Elm Drive at three P M."


def test_lexicon_output_is_not_renormalised() -> None:
    lex = Lexicon.from_pairs({"Quorvath": "KOR-vath", "Ellen": "Ell-in"})
    assert normalize("Quorvath said (Ellen).", lex) == "KOR-vath said, Ell-in."
    stable = Lexicon.from_pairs({"Quorvath": "kor-vath"})
    assert normalize(normalize("Quorvath said.", stable), stable) == "kor-vath said."


def test_phoneme_markup_survives() -> None:
    lex = Lexicon.from_pairs({"Quorvath": "[[k'o@rvaT]]"})
    assert normalize("Quorvath said.", lex) == "[[k'o@rvaT]] said."


def test_default_lexicon_loads() -> None:
    lex = default_lexicon()
    assert dict(lex.entries)["Stepanakert"]
    assert "Stepanakert" not in normalize("Stepanakert was shelled.", lex)
