"""Keys typed while termchat starts (before its prompt reads them) keep their meaning: Enter is
Enter, not the newline a terminal in its default mode turns it into, and nothing is echoed
into the transcript being drawn."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from fakeserver import FakeServer
from terminal import Terminal, termchat


def saved_session(fake_server: FakeServer, home: Path) -> str:
    """A conversation with a long answer (its transcript takes a while to draw); its id."""
    long = "\n\n".join(f"Paragraph {n}: " + "words and more words " * 30 for n in range(150))
    script = fake_server.queue_reply(content=long)
    script.delay = 0.0
    # a window the long answer fits (the context guard would otherwise speak first)
    args = ["--host", fake_server.url, "-m", "qwen3", "-o", "num_ctx=65536", "-p", "first"]
    done = termchat(*args, home=home)
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(home / "sessions.db") as db:
        (sid,) = db.execute("SELECT id FROM sessions").fetchone()
    return str(sid)


def test_enter_typed_during_start_up_sends(fake_server: FakeServer, tmp_path: Path) -> None:
    sid = saved_session(fake_server, tmp_path)
    fake_server.queue_reply(content="late answer")
    term = Terminal(["--host", fake_server.url, "-r", sid], home=tmp_path)
    try:
        term.wait_for("Paragraph 0")  # the transcript is being drawn: no prompt yet
        term.child.send("typed early\r")
        term.wait_for("late answer")
        assert fake_server.last_chat()["messages"][-1]["content"] == "typed early"
        assert term.transcript().count("typed early") == 1  # not echoed by the terminal too
        assert "cursor position requests" not in term.transcript()  # prompt_toolkit's warning
        term.key("ctrl-d")
        assert term.wait_exit() == 0
    finally:
        term.close()
