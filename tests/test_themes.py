"""Theme files: loading by name or path, defaults filled in, clear errors."""

from __future__ import annotations

import asyncio
import io
import re
import tomllib
from pathlib import Path

import pytest
from appdriver import idle_app
from terminal import termchat

from termchat.commands import COMMANDS, run_command
from termchat.errors import ConfigError
from termchat.render import Renderer
from termchat.render.preview import print_preview
from termchat.render.styles import code_theme, repl_styles, rich_theme
from termchat.themes import list_themes, load_theme, user_theme_dir


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


# --- the six shipped themes ----------------------------------------------------------------

SHIPPED = ["default", "light", "solarized-dark", "solarized-light", "high-contrast", "monochrome"]
PACKAGE = Path(__file__).resolve().parent.parent / "termchat"


def styles_used_in_code() -> set[str]:
    """Every `termchat.*` and `markdown.*` style name written in the package (module names
    such as `termchat.render.live` left out)."""
    names: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        names.update(re.findall(r"[\"']((?:termchat|markdown)\.[a-z_.]+)[\"']", text))
    root = PACKAGE.parent
    return {
        name
        for name in names
        if not (root / (name.replace(".", "/") + ".py")).exists()
        and not (root / name.replace(".", "/")).is_dir()
    }


def test_the_six_themes_ship_and_load() -> None:
    assert set(SHIPPED) <= set(list_themes())
    for name in SHIPPED:
        theme = load_theme(name)
        assert theme.name == name and theme.description
        rich_theme(theme)  # every style parses, the code theme exists
        code_theme(theme)  # and its code background is a colour


def test_every_style_in_use_is_set_by_every_theme_file() -> None:
    used = styles_used_in_code()
    assert {"termchat.thinking", "termchat.code.label", "markdown.table.border"} <= used
    for name in SHIPPED:
        path = PACKAGE.parent / "themes" / f"{name}.toml"
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        missing = sorted(used - set(data["styles"]))
        assert not missing, f"{name}.toml lacks {missing}"
        assert data["code_theme"]


def preview_of(name: str, *, no_color: bool = False) -> tuple[str, str]:
    """The themes' sample drawn on a truecolor terminal: (with styles, plain text)."""
    out = io.StringIO()
    renderer = Renderer(
        out,
        theme=load_theme(name),
        width=80,
        record=True,
        force_terminal=True,
        color_system="truecolor",
        no_color=no_color,
    )
    print_preview(renderer, name)
    return out.getvalue(), renderer.console.export_text()


def test_each_theme_draws_the_same_text_in_its_own_styles() -> None:
    previews = {name: preview_of(name) for name in SHIPPED}
    assert len({styled for styled, _ in previews.values()}) == len(SHIPPED)
    plain = {text.split("\n", 1)[1] for _, text in previews.values()}  # after the title
    assert len(plain) == 1  # only the styles differ
    assert "[1]" in plain.pop()  # the sample's code block is numbered
    # the code backgrounds: each theme's own
    assert "48;5;255" in previews["light"][0]  # grey93
    assert "48;2;7;54;66" in previews["solarized-dark"][0]  # base02
    assert "\x1b[3" not in previews["monochrome"][0].replace("\x1b[3m", "")  # no foreground colour


def test_no_color_draws_no_colour_in_any_theme() -> None:
    for name in SHIPPED:
        styled, _ = preview_of(name, no_color=True)
        assert not re.search(r"\x1b\[[0-9;]*(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])[;m]", styled), name


def test_user_theme_overrides_and_adds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERMCHAT_HOME", str(tmp_path))
    user = user_theme_dir()
    assert user == tmp_path / "themes"
    user.mkdir()
    write(user / "light.toml", "[styles]\n'termchat.prompt' = 'bold green'\n")
    write(user / "mine.toml", "description = 'Mine'\ncode_theme = 'nord'\n")
    assert {"mine", "light"} <= set(list_themes([user]))
    assert load_theme("light", [user]).styles["termchat.prompt"] == "bold green"
    assert load_theme("light").styles["termchat.prompt"] == "bold blue"  # the shipped one
    assert load_theme("mine", [user]).code_theme == "nord"


def test_bad_code_background_is_a_config_error(tmp_path: Path) -> None:
    path = write(tmp_path / "t.toml", "code_background = 'not-a-colour'\n")
    with pytest.raises(ConfigError, match="bad code_background 'not-a-colour'"):
        code_theme(load_theme(str(path)))


def test_termchat_themes_lists_each_with_a_preview(tmp_path: Path) -> None:
    (tmp_path / "themes").mkdir()
    write(tmp_path / "themes" / "mine.toml", "description = 'My own'\n")
    write(tmp_path / "config.toml", "theme = 'light'\n")
    done = termchat("themes", home=tmp_path)
    assert done.returncode == 0, done.stderr
    titles = [line for line in done.stdout.splitlines() if " — " in line]
    assert [line.split(" — ")[0] for line in titles] == sorted([*SHIPPED, "mine"])
    assert any("My own" in line and "(yours)" in line for line in titles)
    assert any(line.startswith("light — ") and "(chosen in config)" in line for line in titles)
    assert done.stdout.count("How do I greet everyone in a list?") == len(SHIPPED) + 1


def test_termchat_themes_names_a_broken_theme(tmp_path: Path) -> None:
    (tmp_path / "themes").mkdir()
    write(tmp_path / "themes" / "broken.toml", "[styles]\n'termchat.prompt' = 'bold nocolour'\n")
    done = termchat("themes", home=tmp_path)
    assert done.returncode == 2
    assert "broken" in done.stderr and "Traceback" not in done.stderr
    assert "light — " in done.stdout  # the others still list


def test_theme_command_switches_live(tmp_path: Path) -> None:
    out = io.StringIO()
    renderer = Renderer(
        out, width=100, force_terminal=True, color_system="truecolor", no_color=False
    )
    app = idle_app(tmp_path, renderer)
    renderer.user_message("before", "qwen3")
    asyncio.run(run_command(app, "/theme light"))
    renderer.user_message("after", "qwen3")
    asyncio.run(run_command(app, "/theme no-such"))
    text = out.getvalue()
    before, after = text.split("Theme: light")
    assert "\x1b[1;36m" in before  # bold cyan: the default theme's prompt
    assert "\x1b[1;34m" in after  # bold blue: the light theme's
    assert renderer.theme.name == "light"  # the bad name changed nothing
    assert "Unknown theme 'no-such'" in after
    command = COMMANDS.find("theme")
    assert command is not None and set(SHIPPED) <= set(command.choices(app))


def test_repl_styles_follow_the_theme() -> None:
    """The prompt and toolbar in prompt_toolkit's words; the default theme keeps the REPL's
    look as it was, monochrome has attributes only."""
    default = repl_styles(load_theme("default"))
    assert default["prompt"] == "bold ansicyan"
    assert default["bottom-toolbar"] == "noreverse #d0d0d0 bg:#303030"
    assert default["bottom-toolbar.problem"] == "bold #ffaf5f"
    mono = repl_styles(load_theme("monochrome"))
    assert mono["bottom-toolbar"] == "reverse"
    assert all("#" not in rule and "ansi" not in rule for rule in mono.values())
    assert repl_styles(load_theme("light"))["bottom-toolbar.model"] == "bold ansiblack"
