"""The sanitizer removes everything a terminal would act on and keeps ordinary text."""

from __future__ import annotations

import io
import json
import random
import re

import pytest
from prompt_toolkit.data_structures import Size
from rich.console import Console
from rich.control import Control
from rich.text import Text

from termchat.render import Renderer
from termchat.render.sanitize import (
    escape_for_display,
    json_text,
    name_text,
    sanitize,
    show_hidden,
)
from termchat.repl.output import SafeOutput

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


HIDDEN = "\u200b\u200c\u200d\u2060\u00ad\u180e\u115f\u1160\u3164\uffa0"


@pytest.mark.parametrize("char", list(HIDDEN))
def test_escape_for_display_shows_invisible_characters(char: str) -> None:
    assert escape_for_display(f"rm{char}x") == f"rm<U+{ord(char):04X}>x"


def test_name_text_is_sanitized_one_line_with_invisible_characters_shown() -> None:
    assert name_text(f"qwen3{ESC}]0;t\x07\u200b:8b\nx\u202e") == "qwen3<U+200B>:8b x"
    assert name_text("日本 😀 e\u0301") == "日本 😀 e\u0301"


def test_show_hidden_keeps_what_is_visible() -> None:
    assert show_hidden("a\u3164b 👍 é") == "a<U+3164>b 👍 é"
    text = "plain"
    assert show_hidden(text) is text


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({"t": f"x{ESC}]52;c;eA==\x07y"}, id="osc-c0"),
        pytest.param({"t": "a\x9b2Jb\x85\x7f"}, id="c1-del"),
        pytest.param({"t": "a\u202eb\u2066c\u200ed"}, id="bidi"),
        pytest.param({"t": "in\u200bvi\u2060si\u3164ble\u00ad"}, id="invisible"),
        pytest.param({"t": "a\u2028b\u2029c"}, id="separators"),
        pytest.param({"t": "tag\U000e0041s"}, id="tag-block"),
        pytest.param({"k\x9b": ["\u202e", 1, None, 2.5]}, id="keys-and-lists"),
    ],
)
def test_json_text_escapes_controls_and_reads_back(value: object) -> None:
    text = json_text(value)
    assert json.loads(text) == value
    assert not re.search("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]", text)
    assert not re.search(f"[{HIDDEN}\U000e0000-\U000e007f]", text)


def test_json_text_keeps_other_non_ascii_readable() -> None:
    value = {"t": "日本語 😀 é — “quotes”", "n": [1, 2]}
    assert json_text(value) == json.dumps(value, ensure_ascii=False)
    assert json_text(value, indent=2) == json.dumps(value, ensure_ascii=False, indent=2)


def test_safe_console_drops_controls_from_any_text_it_draws() -> None:
    """The net under every rich path: even text that skipped `sanitize` cannot reach the
    terminal with a control sequence; termchat's own styles and cursor moves pass."""
    out = io.StringIO()
    renderer = Renderer(file=out, width=60, force_terminal=True, color_system="256")
    renderer.print(Text(f"a{ESC}[2Jb\x9b31mc\u202ed", style="bold"), Control.move(0, -1))
    printed = out.getvalue()
    assert "abcd" in printed and "\x1b[1m" in printed and "\x1b[1A" in printed
    assert "\x1b[2J" not in printed and "\x9b" not in printed and "\u202e" not in printed


def test_safe_output_drops_controls_from_text_but_not_its_own_sequences() -> None:
    out = io.StringIO()
    output = SafeOutput(out, lambda: Size(rows=24, columns=80))
    output.write(f"a{ESC}]0;t\x07b\x9b2Jc\u202ed\u2066e\n")
    output.hide_cursor()
    output.flush()
    assert out.getvalue() == "a]0;tb2Jcde\n\x1b[?25l"
