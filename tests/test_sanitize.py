"""The sanitizer removes everything a terminal would act on and keeps ordinary text."""

from __future__ import annotations

import io
import random

import pytest
from rich.console import Console
from rich.text import Text

from termchat.render.sanitize import escape_for_display, sanitize

ESC = "\x1b"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        pytest.param(f"a{ESC}[31mred{ESC}[0m", "ared", id="csi-sgr"),
        pytest.param(f"x{ESC}[2J{ESC}[H{ESC}[?1049hy", "xy", id="csi-screen"),
        pytest.param(f"x{ESC}[38;2;1;2;3my", "xy", id="csi-truecolor"),
        pytest.param(f"cut{ESC}[3", "cut", id="csi-unterminated"),
        pytest.param("a\x9b31mb", "ab", id="csi-8bit"),
        pytest.param(f"x{ESC}]52;c;aGVsbG8=\x07y", "xy", id="osc52-bel"),
        pytest.param(f"x{ESC}]52;c;aGVsbG8={ESC}\\y", "xy", id="osc52-st"),
        pytest.param(f"{ESC}]8;;https://evil{ESC}\\link{ESC}]8;;{ESC}\\", "link", id="osc8"),
        pytest.param(f"t{ESC}]0;pwned\x07t", "tt", id="osc-title"),
        pytest.param(f"t{ESC}]2;pwned\x9ct", "tt", id="osc-c1-st"),
        pytest.param(f"open{ESC}]0;title\nnext", "open\nnext", id="osc-unterminated"),
        pytest.param("a\x9d0;t\x07b", "ab", id="osc-8bit"),
        pytest.param(f"d{ESC}Pq#0;2;0;0;0{ESC}\\e", "de", id="dcs"),
        pytest.param(f"s{ESC}Xsos{ESC}\\s", "ss", id="sos"),
        pytest.param(f"p{ESC}^pm{ESC}\\p", "pp", id="pm"),
        pytest.param(f"a{ESC}_apc{ESC}\\a", "aa", id="apc"),
        pytest.param("a\x90dcs\x9cb", "ab", id="dcs-8bit"),
        pytest.param(f"{ESC}c reset", " reset", id="esc-ris"),
        pytest.param(f"{ESC}7save{ESC}8", "save", id="esc-save-restore"),
        pytest.param(f"{ESC}(Bx", "x", id="esc-charset"),
        pytest.param(f"end{ESC}", "end", id="esc-alone"),
        pytest.param(f"a{ESC}\nb", "a\nb", id="esc-newline"),
        pytest.param("a\x85b\x8db\x80c", "abbc", id="c1"),
        pytest.param("a\x9fapc string\nnext", "a\nnext", id="apc-8bit-to-line-end"),
        pytest.param(
            "bell\x07 bs\x08 vt\x0b ff\x0c nul\x00 del\x7f", "bell bs vt ff nul del", id="c0"
        ),
        pytest.param("line\r\nnext\rover", "line\nnextover", id="carriage-return"),
        pytest.param("tab\tkept\nnewline", "tab\tkept\nnewline", id="tab-newline"),
        pytest.param("a\u202eevil\u202cb", "aevilb", id="bidi-override"),
        pytest.param("a\u2066b\u2067c\u2068d\u2069", "abcd", id="bidi-isolates"),
        pytest.param("a\u200eb\u200fc\u061cd", "abcd", id="bidi-marks"),
        pytest.param("\ufeffbom", "bom", id="bom"),
        pytest.param("tag\U000e0041\U000e007fs", "tags", id="unicode-tags"),
        pytest.param("a\u2028b\u2029c", "a b c", id="line-separators"),
    ],
)
def test_sanitize_removes(raw: str, clean: str) -> None:
    assert sanitize(raw) == clean


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("plain ascii text", id="ascii"),
        pytest.param("日本語のテキスト、中文，한국어", id="cjk"),
        pytest.param("emoji 😀 👨‍👩‍👧 🇫🇷 ❤️", id="emoji-zwj"),
        pytest.param("e\u0301 combining, ZWNJ \u200c kept", id="combining"),
        pytest.param("مرحبا עברית", id="rtl-letters"),
        pytest.param("[bold red]not markup[/] [/i] [link=x]y[/link]", id="markup-like"),
        pytest.param("soft\u00adhyphen, nbsp\u00a0, ©®", id="latin1"),
        pytest.param("", id="empty"),
    ],
)
def test_sanitize_keeps(text: str) -> None:
    assert sanitize(text) is text or sanitize(text) == text


def test_sanitize_is_line_local() -> None:
    rng = random.Random(7)
    alphabet = ["a", "\n", ESC, "[", "]", "3", "m", "\x07", "\\", "P", "\x9b", "\u202e", "é"]
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        lines = text.split("\n")
        pieces = [line + "\n" for line in lines[:-1]] + [lines[-1]]
        assert "".join(sanitize(piece) for piece in pieces) == sanitize(text)


def test_sanitize_never_raises_and_leaves_no_controls() -> None:
    rng = random.Random(1)
    for _ in range(2000):
        text = "".join(
            chr(rng.choice([rng.randrange(0, 0xA0), rng.randrange(0x2000, 0x2070)]))
            for _ in range(rng.randint(0, 40))
        )
        out = sanitize(text)
        assert all(ch in "\n\t" or (ord(ch) >= 0x20 and not 0x7F <= ord(ch) < 0xA0) for ch in out)
        assert not any(0x202A <= ord(ch) <= 0x202E or 0x2066 <= ord(ch) <= 0x2069 for ch in out)


def test_sanitized_markup_like_text_prints_literally() -> None:
    console = Console(file=io.StringIO(), record=True, width=80, color_system=None)
    text = "[bold red]x[/bold red] [/i] [link=https://e]y[/link]"
    console.print(Text(sanitize(text)))
    assert console.export_text().strip() == text


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        pytest.param(f"rm -rf /tmp/x{ESC}[2K", "rm -rf /tmp/x␛[2K", id="esc"),
        pytest.param("echo ok\rrm -rf ~", "echo ok␍rm -rf ~", id="carriage-return"),
        pytest.param("ls\nrm x", "ls␊rm x", id="newline"),
        pytest.param("a\tb", "a␉b", id="tab"),
        pytest.param("x\x00y\x7f", "x␀y␡", id="nul-del"),
        pytest.param("safe\u202eevil", "safe<U+202E>evil", id="bidi"),
        pytest.param("a\u200bb", "a<U+200B>b", id="zero-width"),
        pytest.param("a\x9bb", "a<U+009B>b", id="c1"),
        pytest.param("日本 😀 [bold]", "日本 😀 [bold]", id="unchanged"),
    ],
)
def test_escape_for_display_shows_every_control(raw: str, shown: str) -> None:
    assert escape_for_display(raw) == shown


def test_escape_for_display_multiline_keeps_newlines_and_tabs() -> None:
    assert escape_for_display("a\n\tb\x1b\r", multiline=True) == "a\n\tb␛␍"
