"""Markdown from a model: safe to print, links visible, HTML inert, code highlighted."""

from __future__ import annotations

import io
import re

import pytest

from termchat.render import Renderer

HOSTILE = (
    "title\x1b]0;pwned\x07 clip\x1b]52;c;cm0gLXJmIH4=\x07 red\x1b[31m!\x1b[0m reset\x1bc "
    "bidi\u202eevil\u202c link\x1b]8;;https://evil.example\x1b\\here\x1b]8;;\x1b\\ c1\x9b2J "
    "entity &#x202e; done"
)


def render(text: str, *, width: int = 80, color: bool = False) -> str:
    out = io.StringIO()
    renderer = Renderer(
        out,
        width=width,
        force_terminal=color,
        color_system="truecolor" if color else None,
    )
    renderer.markdown(text)
    return out.getvalue()


def test_links_show_their_target_and_no_hyperlink() -> None:
    out = render("see [the docs](https://example.com/docs) now", color=True)
    assert "the docs (https://example.com/docs)" in _plain(out)
    assert "\x1b]8" not in out


def test_autolink_shows_the_url_once() -> None:
    out = _plain(render("go to <https://example.com/x> now"))
    assert "go to https://example.com/x now" in out
    assert out.count("example.com") == 1


def test_image_shows_alt_and_target() -> None:
    out = _plain(render("a ![diagram](https://img.example/d.png) b"))
    assert "a image: diagram (https://img.example/d.png) b" in out


def test_javascript_link_is_not_a_link() -> None:
    out = _plain(render("[click](javascript:alert(1))"))
    assert "[click](javascript:alert(1))" in out


@pytest.mark.parametrize(
    "html",
    [
        pytest.param("<b>bold?</b> text", id="inline"),
        pytest.param("<script>alert(1)</script>", id="script"),
        pytest.param("<div>\nblock\n</div>", id="block"),
        pytest.param("<!-- hidden comment -->", id="comment"),
    ],
)
def test_html_is_shown_as_text(html: str) -> None:
    out = _plain(render(html))
    for word in html.replace("\n", " ").split():
        assert word in out


@pytest.mark.parametrize("color", [False, True], ids=["plain", "color"])
def test_hostile_model_text_emits_no_control_sequences(color: bool) -> None:
    out = render(HOSTILE, color=color)
    stripped = _strip_sgr(out)
    assert "\x1b" not in stripped
    assert not any(0x80 <= ord(ch) < 0xA0 for ch in out)
    assert "\u202e" not in out
    assert "titlepwned" not in _plain(out)  # the OSC body went with its sequence
    assert "evil" in _plain(out)


def test_markup_like_text_is_literal() -> None:
    text = "[bold red]not bold[/bold red] and [/i] and [link=https://x]y[/link]"
    assert text in _plain(render(text, width=120))


def test_code_block_is_highlighted_with_the_theme() -> None:
    out = render("```python\ndef f():\n    return 1\n```", color=True)
    assert "def" in _plain(out)
    assert "\x1b[38;2;" in out  # truecolor foreground from the Pygments theme


def test_unknown_language_renders_as_text() -> None:
    out = _plain(render("```no-such-language\nx = 1\n```"))
    assert "x = 1" in out


def test_table_quote_list_heading_render() -> None:
    out = _plain(render("# Head\n\n> quoted\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |"))
    assert "Head" in out
    assert "▌ quoted" in out
    assert "• one" in out
    assert "─" in out and "1" in out


def _strip_sgr(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def _plain(text: str) -> str:
    return "\n".join(line.rstrip() for line in _strip_sgr(text).split("\n"))
