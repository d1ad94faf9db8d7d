"""`[keys]` and `edit_mode` in config.toml, driven in a real pseudo-terminal: the rebound key
does the job, the old one no longer does, and vi editing works as vi users expect."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fakeserver import FakeServer
from terminal import Terminal, toolbar

Spawn = Callable[..., Terminal]

CTRL_G = "\x07"
CTRL_O = "\x0f"
CTRL_T = "\x14"
ESCAPE = "\x1b"


@pytest.fixture
def spawn(fake_server: FakeServer, tmp_path: Path, terminals: list[Terminal]) -> Spawn:
    """termchat in a pty against the fake server, with `config` as its config.toml."""

    def start(config: str, *args: str) -> Terminal:
        (tmp_path / "config.toml").write_text(config)
        term = Terminal(["--host", fake_server.url, "-m", "qwen3", *args], home=tmp_path)
        terminals.append(term)
        return term

    return start


def ready(term: Terminal) -> None:
    term.wait_for(lambda: "❯" in term.display() and "thinking" in toolbar(term))


def test_keys_rebound_toggle_works_at_the_prompt_and_the_toolbar_names_it(
    spawn: Spawn,
) -> None:
    term = spawn('[keys]\ntoggle_thinking = "c-o"\n')
    ready(term)
    assert "^O hide thinking" in toolbar(term)
    term.type(CTRL_T)  # no longer the toggle (emacs mode swaps two letters, here none)
    term.type(CTRL_O)
    term.wait_for(lambda: "^O show thinking" in toolbar(term))
    term.type(CTRL_O)
    term.wait_for(lambda: "^O hide thinking" in toolbar(term))


def test_keys_rebound_stop_stops_a_streaming_reply(spawn: Spawn, fake_server: FakeServer) -> None:
    term = spawn('[keys]\nstop = "c-g"\n')
    ready(term)
    fake_server.queue_reply(content="a b c d e f", hold_after=2)
    term.line("go")
    term.wait_for(fake_server.holding.is_set)
    term.type(CTRL_G)
    term.wait_for("[interrupted]")
    assert fake_server.wait_for_disconnect()
    fake_server.release()
    ready(term)
    term.type("a draft")
    term.wait_for(lambda: "a draft" in term.display())
    term.type(CTRL_G)  # at the prompt the stop key clears the line, as Ctrl-C does
    term.line("still here")
    term.wait_for("You said: still here")
    assert "a draftstill here" not in term.transcript()


def test_keys_rebound_toggle_works_while_a_reply_streams(
    spawn: Spawn, fake_server: FakeServer
) -> None:
    term = spawn('[keys]\ntoggle_thinking = "escape t"\n')
    ready(term)
    assert "Alt-t hide thinking" in toolbar(term)
    fake_server.queue_reply(thinking="step one. step two.", content="done", hold_after=2)
    term.line("think")
    term.wait_for(fake_server.holding.is_set)
    term.type(ESCAPE + "t")
    term.wait_for("(Alt-t shows it)")  # the reasoning folded, the hint naming the key
    fake_server.release()
    term.wait_for("done")
    ready(term)
    assert "Alt-t show thinking" in toolbar(term)


def test_keys_rebound_newline_and_help_keys_shows_the_keys_in_effect(
    spawn: Spawn, fake_server: FakeServer
) -> None:
    term = spawn('[keys]\nnewline = ["c-o"]\neditor = "f5"\n')
    ready(term)
    term.type("first" + CTRL_O + "second")
    term.wait_for(lambda: "second" in term.display())
    term.key("enter")
    term.wait_for(lambda: len(fake_server.chat_requests()) == 1)
    assert fake_server.user_messages() == ["first\nsecond"]
    ready(term)
    term.line("/help keys")
    term.wait_for("Ctrl-O")
    keys_table = term.transcript().split("/help keys", 1)[1]
    assert "Ctrl-O" in keys_table and "F5" in keys_table
    assert "Alt-Enter, Ctrl-J" not in keys_table and "Ctrl-X Ctrl-E" not in keys_table


def test_keys_vi_mode_escape_then_0_x_and_dd(spawn: Spawn, fake_server: FakeServer) -> None:
    term = spawn('edit_mode = "vi"\n')
    ready(term)
    term.type("abc def")
    term.wait_for(lambda: "abc def" in term.display())
    term.type(ESCAPE)
    term.type("0x")  # to the start, delete one character
    term.wait_for(lambda: "❯ bc def" in term.display())
    term.key("enter")
    term.wait_for("You said: bc def")
    ready(term)
    term.type("thrown away")
    term.wait_for(lambda: "thrown away" in term.display())
    term.type(ESCAPE + "dd" + "iwritten again")
    term.wait_for(lambda: "written again" in term.display())
    term.key("enter")
    term.wait_for("You said: written again")
    assert fake_server.user_messages() == ["bc def", "written again"]


def test_keys_emacs_stays_the_default(spawn: Spawn, fake_server: FakeServer) -> None:
    term = spawn("")
    ready(term)
    term.type("abc def" + "\x01" + "X")  # Ctrl-A: to the start of the line, as in emacs
    term.key("enter")
    term.wait_for("You said: Xabc def")
