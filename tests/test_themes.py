"""Theme files: loading by name or path, defaults filled in, clear errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from termchat.errors import ConfigError
from termchat.render.styles import rich_theme
from termchat.themes import list_themes, load_theme


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_default_theme_loads() -> None:
    theme = load_theme()
    assert theme.name == "default"
    assert theme.code_theme == "monokai"
    assert theme.styles["termchat.thinking.rule"] == "grey42"
    assert theme == load_theme("default")
    assert "default" in list_themes()


def test_theme_from_path_inherits_default_styles(tmp_path: Path) -> None:
    path = write(
        tmp_path / "mine.toml",
        'name = "mine"\ncode_theme = "github-dark"\n[styles]\n"termchat.footer" = "italic"\n',
    )
    theme = load_theme(str(path))
    assert theme.name == "mine"
    assert theme.code_theme == "github-dark"
    assert theme.styles["termchat.footer"] == "italic"
    assert theme.styles["termchat.error"] == load_theme().styles["termchat.error"]
    assert theme.path == path


def test_theme_by_name_in_extra_dir(tmp_path: Path) -> None:
    write(tmp_path / "night.toml", "[styles]\ntermchat.prompt = 'bold blue'\n")
    theme = load_theme("night", extra_dirs=[tmp_path])
    assert theme.name == "night"  # from the file name
    assert theme.code_theme == "monokai"
    assert theme.styles["termchat.prompt"] == "bold blue"  # nested TOML tables flattened
    assert "night" in list_themes([tmp_path])
    assert set(list_themes([tmp_path])) - set(list_themes()) == {"night"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("name = \n", "not valid TOML", id="bad-toml"),
        pytest.param("colour = 'x'\n", "unknown key 'colour'", id="unknown-key"),
        pytest.param("name = 3\n", "'name' must be", id="name-type"),
        pytest.param("code_theme = 1\n", "'code_theme' must be", id="code-theme-type"),
        pytest.param("styles = 'x'\n", "[styles] must be", id="styles-type"),
        pytest.param("[styles]\n'termchat.x' = 1\n", "style 'termchat.x' must be", id="style-type"),
    ],
)
def test_bad_theme_file(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "bad.toml", text)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_theme(str(path))


def test_unknown_theme_names_the_available_ones() -> None:
    with pytest.raises(ConfigError, match=r"Unknown theme 'nope' \(available: default"):
        load_theme("nope")


def test_missing_theme_file() -> None:
    with pytest.raises(ConfigError, match="Theme file not found"):
        load_theme("/nonexistent/theme.toml")


def test_rich_theme_accepts_the_default() -> None:
    styles = rich_theme(load_theme()).styles
    assert styles["termchat.error"].bold
    assert not styles["termchat.answer"]


def test_rich_theme_rejects_a_bad_style(tmp_path: Path) -> None:
    path = write(tmp_path / "t.toml", "[styles]\n'termchat.footer' = 'bold nosuchcolour'\n")
    with pytest.raises(ConfigError, match=r"bad style for 'termchat\.footer'"):
        rich_theme(load_theme(str(path)))


def test_rich_theme_rejects_an_unknown_code_theme(tmp_path: Path) -> None:
    path = write(tmp_path / "t.toml", "code_theme = 'no-such-pygments-style'\n")
    with pytest.raises(ConfigError, match="unknown code_theme"):
        rich_theme(load_theme(str(path)))


def test_rich_theme_accepts_rich_ansi_code_themes(tmp_path: Path) -> None:
    path = write(tmp_path / "t.toml", "code_theme = 'ansi_dark'\n")
    rich_theme(load_theme(str(path)))
