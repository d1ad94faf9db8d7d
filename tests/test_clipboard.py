"""Copying: the OSC 52 sequence, the choice of OSC 52 and local tool (pure), and the message."""

from __future__ import annotations

import base64

import pytest

from termchat.clipboard import OSC52_LIMIT, Tmux, choose, copied_message, local_tool, osc52

HOSTILE = "code\x1b]52;c;ZXZpbA==\x07\x1b[2J\u202e\x9b end"


def test_osc52_is_base64_between_the_introducer_and_bel() -> None:
    assert (
        osc52("print('hi')\n")
        == "\x1b]52;c;" + base64.b64encode(b"print('hi')\n").decode() + "\x07"
    )


def test_osc52_carries_no_control_character_of_the_text() -> None:
    sequence = osc52(HOSTILE)
    body = sequence.removeprefix("\x1b]52;c;").removesuffix("\x07")
    assert body.isascii() and body.isprintable() and "\x1b" not in body
    assert base64.b64decode(body).decode() == HOSTILE  # exactly the text, nothing lost


def test_osc52_tmux_passthrough_doubles_every_escape() -> None:
    plain = osc52("x")
    wrapped = osc52("x", passthrough=True)
    assert wrapped == "\x1bPtmux;" + plain.replace("\x1b", "\x1b\x1b") + "\x1b\\"


@pytest.mark.parametrize(
    ("environ", "platform", "installed", "expected"),
    [
        pytest.param(
            {"WAYLAND_DISPLAY": "wayland-0"}, "linux", {"wl-copy"}, ("wl-copy",), id="wayland"
        ),
        pytest.param(
            {"DISPLAY": ":0"},
            "linux",
            {"xclip", "wl-copy"},
            ("xclip", "-selection", "clipboard"),
            id="x11",
        ),
        pytest.param(
            {"DISPLAY": ":0"}, "linux", {"xsel"}, ("xsel", "--clipboard", "--input"), id="xsel"
        ),
        pytest.param({}, "darwin", {"pbcopy"}, ("pbcopy",), id="macos"),
        pytest.param({}, "linux", {"xclip", "wl-copy"}, None, id="no-display-ssh"),
        pytest.param({"DISPLAY": ":0"}, "linux", set(), None, id="none-installed"),
    ],
)
def test_local_tool(
    environ: dict[str, str], platform: str, installed: set[str], expected: tuple[str, ...] | None
) -> None:
    assert (
        local_tool(environ, platform, lambda name: name if name in installed else None) == expected
    )


XTERM = {"TERM": "xterm-256color"}


@pytest.mark.parametrize(
    ("terminal", "environ", "tmux", "tool", "osc", "passthrough", "uses_tool"),
    [
        pytest.param(True, XTERM, None, None, True, False, False, id="ssh-terminal"),
        pytest.param(True, XTERM, None, ("xclip",), True, False, True, id="local-both"),
        pytest.param(False, XTERM, None, ("xclip",), False, False, True, id="not-a-tty"),
        pytest.param(
            True, XTERM, Tmux("on", ""), None, True, False, False, id="tmux-set-clipboard"
        ),
        pytest.param(True, XTERM, Tmux("external", "on"), None, True, True, False, id="tmux-pass"),
        pytest.param(
            True, XTERM, Tmux("external", "off"), ("xclip",), False, False, True, id="tmux-tool"
        ),
        pytest.param(True, {"TERM": "dumb"}, None, ("pbcopy",), False, False, True, id="dumb"),
    ],
)
def test_choose(
    terminal: bool,
    environ: dict[str, str],
    tmux: Tmux | None,
    tool: tuple[str, ...] | None,
    osc: bool,
    passthrough: bool,
    uses_tool: bool,
) -> None:
    plan = choose(terminal=terminal, environ=environ, tmux=tmux, tool=tool, size=100)
    assert (plan.osc52, plan.passthrough, plan.tool is not None) == (osc, passthrough, uses_tool)


@pytest.mark.parametrize(
    ("terminal", "tmux", "size", "reason"),
    [
        pytest.param(False, None, 10, "not a terminal", id="pipe"),
        pytest.param(True, Tmux("external", "off"), 10, "set-clipboard on", id="tmux-says-how"),
        pytest.param(True, None, OSC52_LIMIT, "too long for OSC 52", id="too-long"),
    ],
)
def test_choose_nothing_usable_says_why(
    terminal: bool, tmux: Tmux | None, size: int, reason: str
) -> None:
    plan = choose(terminal=terminal, environ=XTERM, tmux=tmux, tool=None, size=size)
    assert not plan.osc52 and plan.tool is None
    assert reason in plan.reason


def test_copied_message() -> None:
    assert copied_message(1204, ["OSC 52"]) == "Copied 1,204 characters (OSC 52)"
    assert copied_message(1, ["OSC 52", "xclip"]) == "Copied 1 character (OSC 52 and xclip)"
