"""/copy (what it picks, the OSC 52 it writes, on a real terminal too) and /theme (live)."""

from __future__ import annotations

import asyncio
import base64
import io
import re
from pathlib import Path
from typing import Any, Protocol

import pytest
from appdriver import idle_app
from fakeserver import FakeServer
from terminal import Terminal

from termchat.app import ChatApp
from termchat.commands import run_command
from termchat.commands.look import code_blocks
from termchat.messages import Message
from termchat.render import Renderer

FIRST = "def add(a, b):\n    return a + b"
SECOND = "echo '\x1b]0;evil\x07' $HOME"
ANSWER = (
    f"Two blocks:\n\n```python\n{FIRST}\n```\n\n- and in a list:\n\n  ```sh\n  {SECOND}\n  ```\n\n"
    "Done."
)


def osc52_payloads(raw: bytes | str) -> list[str]:
    """The texts of every OSC 52 write in the output."""
    data = raw.encode() if isinstance(raw, str) else raw
    found = re.findall(rb"\x1b\]52;c;([A-Za-z0-9+/=]*)\x07", data)
    return [base64.b64decode(payload).decode() for payload in found]


@pytest.fixture
def no_local_clipboard(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TMUX", "TMUX_PANE", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")


def app_on_terminal(home: Path, messages: list[Message]) -> tuple[ChatApp, io.StringIO]:
    out = io.StringIO()
    app = idle_app(home, Renderer(out, width=100, force_terminal=True, color_system="256"))
    for message in messages:
        app.conversation.add(message)
    return app, out


def conversation() -> list[Message]:
    return [
        Message(role="user", content="q1"),
        Message(role="assistant", content="First **answer**.", thinking="Reasoning one."),
        Message(role="user", content="q2"),
        Message(role="assistant", content=ANSWER, thinking="Reasoning two."),
        Message(role="user", content="q3"),
        Message(role="assistant", content="", tool_calls=[]),  # a reply with no text
    ]


def test_code_blocks_are_the_raw_code_in_screen_order() -> None:
    assert code_blocks(ANSWER) == [FIRST, SECOND]
    assert code_blocks("    indented\n\nno fence") == ["indented"]
    assert code_blocks("no code") == []


@pytest.mark.parametrize(
    ("args", "expected", "said"),
    [
        pytest.param("", ANSWER, "reply 2", id="last-answer-with-text"),
        pytest.param("1", "First **answer**.", "reply 1", id="reply-n-raw-markdown"),
        pytest.param("code", FIRST, "code block 1 of reply 2", id="code-default-first"),
        pytest.param("code 2", SECOND, "code block 2 of reply 2", id="code-k-nested"),
        pytest.param("thinking", "Reasoning two.", "reasoning of reply 2", id="thinking"),
        pytest.param("thinking 1", "Reasoning one.", "reasoning of reply 1", id="thinking-n"),
    ],
)
def test_copy_writes_osc52_of_the_raw_text(
    args: str, expected: str, said: str, tmp_path: Path, no_local_clipboard: None
) -> None:
    app, out = app_on_terminal(tmp_path, conversation())
    asyncio.run(run_command(app, f"/copy {args}"))
    assert osc52_payloads(out.getvalue()) == [expected]
    assert f"Copied {len(expected):,} characters (OSC 52)" in out.getvalue()
    assert said in out.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param("9", "there are 3 replies: pick 1 to 3", id="no-such-reply"),
        pytest.param("3", "Reply 3 has no text", id="empty-reply"),
        pytest.param("code 3", "reply 2 has 2 code blocks", id="no-such-block"),
        pytest.param("code x", "Usage: /copy", id="bad-block-number"),
        pytest.param("thinking 3", "Reply 3 has no reasoning", id="no-reasoning"),
        pytest.param("everything now", "Usage: /copy", id="nonsense"),
    ],
)
def test_copy_mistakes_are_one_message_and_nothing_copied(
    args: str, message: str, tmp_path: Path, no_local_clipboard: None
) -> None:
    app, out = app_on_terminal(tmp_path, conversation())
    asyncio.run(run_command(app, f"/copy {args}"))
    assert message in " ".join(out.getvalue().split())
    assert osc52_payloads(out.getvalue()) == []
    assert "Traceback" not in out.getvalue()


def test_copy_before_any_reply(tmp_path: Path, no_local_clipboard: None) -> None:
    app, out = app_on_terminal(tmp_path, [])
    asyncio.run(run_command(app, "/copy"))
    assert "No reply yet." in out.getvalue()


def test_copy_without_terminal_or_tool_says_why(tmp_path: Path, no_local_clipboard: None) -> None:
    out = io.StringIO()
    app = idle_app(tmp_path, Renderer(out, width=200, force_terminal=False))
    app.conversation.add(Message(role="assistant", content="x"))
    asyncio.run(run_command(app, "/copy"))
    assert "Could not copy: the output is not a terminal" in out.getvalue()
    assert "\x1b]52" not in out.getvalue()


def test_copy_runs_the_local_tool_too(
    tmp_path: Path, no_local_clipboard: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A local X session: OSC 52 and xclip (a stand-in script that keeps what it was given)."""
    bin_dir, kept = tmp_path / "bin", tmp_path / "kept.txt"
    bin_dir.mkdir()
    script = bin_dir / "xclip"
    script.write_text(f"#!/bin/sh\ncat > '{kept}'\n", encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("DISPLAY", ":0")
    app, out = app_on_terminal(tmp_path, conversation())
    asyncio.run(run_command(app, "/copy code 1"))
    assert kept.read_text(encoding="utf-8") == FIRST
    assert f"Copied {len(FIRST)} characters (OSC 52 and xclip)" in out.getvalue()


# --- on a real terminal ------------------------------------------------------------------


class Spawn(Protocol):
    def __call__(self, *args: str, **kwargs: Any) -> Terminal: ...


@pytest.fixture
def spawn(spawn: Spawn) -> Spawn:
    """conftest's `spawn` with no display and no tmux, so a copy can only go out as OSC 52."""

    def start(*args: str, **kwargs: Any) -> Terminal:
        env = {"DISPLAY": "", "WAYLAND_DISPLAY": "", "TMUX": "", **kwargs.pop("env", {})}
        return spawn(*args, env=env, **kwargs)

    return start


def test_copy_code_block_on_a_real_terminal(spawn: Spawn, fake_server: FakeServer) -> None:
    """The code blocks are numbered on screen, live and on resume; `/copy code 2` writes the
    block's raw code as OSC 52 (its escape travels as base64) and says so."""
    fake_server.queue_reply(content=ANSWER)
    term = spawn("-m", "qwen3")
    term.line("two blocks please")
    term.wait_for("tok/s")
    lines = term.transcript().split("\n")
    labels = [line.strip() for line in lines if line.strip() in ("[1]", "[2]")]
    assert labels == ["[1]", "[2]"]
    start = len(term.raw)
    term.line("/copy code 2")
    term.wait_for(f"Copied {len(SECOND)} characters (OSC 52)")
    assert osc52_payloads(bytes(term.raw[start:])) == [SECOND]
    assert b"\x1b]0;evil" not in bytes(term.raw)  # the model's own sequence never went raw
    term.line("/exit")
    term.wait_exit()

    again = spawn("--continue")
    again.wait_for("Done.")
    labels = [
        line.strip() for line in again.transcript().split("\n") if line.strip() in ("[1]", "[2]")
    ]
    assert labels == ["[1]", "[2]"]
    start = len(again.raw)
    again.line("/copy")
    again.wait_for(f"Copied {len(ANSWER)} characters (OSC 52)")
    assert osc52_payloads(bytes(again.raw[start:])) == [ANSWER]


SGR = re.compile(rb"\x1b\[([0-9;]*)m")


def colours_in(raw: bytes) -> set[str]:
    """The colour parameters of every SGR sequence in `raw` (defaults 39 and 49 left out)."""
    found: set[str] = set()
    for match in SGR.finditer(raw):
        params = match.group(1).decode().split(";")
        index = 0
        while index < len(params):
            param = params[index]
            if param in ("38", "48"):
                found.add(";".join(params[index : index + (3 if params[index + 1] == "5" else 5)]))
                index += 3 if params[index + 1] == "5" else 5
                continue
            if param and (
                30 <= int(param) <= 37 or 40 <= int(param) <= 47 or 90 <= int(param) <= 107
            ):
                found.add(param)
            index += 1
    return found


def test_monochrome_draws_no_colour_anywhere(spawn: Spawn, fake_server: FakeServer) -> None:
    """Reasoning, Markdown, code, footer, prompt and toolbar: attributes only."""
    fake_server.queue_reply(thinking="Let me think.", content=ANSWER)
    term = spawn("-m", "qwen3", "--theme", "monochrome")
    term.line("hello")
    term.wait_for("tok/s")
    term.line("/copy code 1")
    term.wait_for("Copied")
    assert colours_in(bytes(term.raw)) == set()


def test_theme_command_recolours_the_prompt_and_toolbar(spawn: Spawn) -> None:
    term = spawn("-m", "qwen3")
    before = colours_in(bytes(term.raw))
    assert {"36", "48;5;236"} <= before  # default: a cyan prompt over a dark grey toolbar
    term.line("/theme light")
    term.wait_for("Theme: light")
    # Everything drawn before the notice may still be the dark theme (under load the first
    # prompt's toolbar can be drawn only after the command was typed); after it, none may be.
    start = bytes(term.raw).index(b"Theme: light")
    term.wait_for(lambda: "48;5;254" in colours_in(bytes(term.raw[start:])))  # a light toolbar
    after = colours_in(bytes(term.raw[start:]))
    assert "34" in after and "48;5;236" not in after  # a blue prompt; the dark bar is gone
