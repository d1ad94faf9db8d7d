"""The context window as a user meets it: the toolbar's figure and the guard's question in a
real pseudo-terminal, the guard's warning on stderr with -p."""

from __future__ import annotations

import re
from pathlib import Path

from fakeserver import FakeServer
from terminal import Terminal, termchat, toolbar

WORDS = "lorem ipsum dolor sit amet " * 48  # about 324 tokens


def test_repl_toolbar_figure_and_guard_question(fake_server: FakeServer, tmp_path: Path) -> None:
    term = Terminal(
        ["--host", fake_server.url, "-m", "qwen3", "--no-think", "-o", "num_ctx=512"],
        home=tmp_path,
        rows=30,
        cols=120,
    )
    try:
        term.wait_for(lambda: "❯" in term.display() and "ctx –/512" in toolbar(term))
        term.line(f"one {WORDS}")
        # Prompt plus reply as the server counted them, against num_ctx, warning colour or not.
        term.wait_for(lambda: re.search(r"ctx \d{3}/512 \d{3}%", toolbar(term)) is not None)
        # Past the window: drawn in the theme's "full" colour (bottom-toolbar.context.full).
        row = term.screen.display[-1]
        column = row.index("ctx ")
        assert term.screen.buffer[len(term.screen.display) - 1][column].fg == "ff5f5f"
        term.line(f"two {WORDS}")
        term.wait_for("It will not fit: [n] /set num_ctx 2048  [c] /compact  [s] send anyway")
        assert "the context window is 512 (num_ctx)" in " ".join(term.transcript().split())
        term.type("s")
        term.wait_for("→ send anyway")
        term.wait_for("silently dropped the rest")
        term.wait_for("#2 · qwen3")
        assert len(fake_server.chat_requests()) == 2
        assert fake_server.last_chat()["options"] == {"num_ctx": 512}
    finally:
        term.close()


def test_print_mode_warns_on_stderr_and_sends_anyway(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    ran = termchat(
        "--host",
        fake_server.url,
        "-m",
        "qwen3",
        "--no-think",
        "-o",
        "num_ctx=256",
        "-p",
        "Summarise",
        stdin=WORDS * 2,
        home=tmp_path,
    )
    assert ran.returncode == 0, ran.stderr
    err = " ".join(ran.stderr.split())
    assert "the context window is 256 (num_ctx)" in err
    assert "Sent anyway (there is no one to ask)." in err
    assert "context window" not in ran.stdout
    body = fake_server.last_chat()
    assert body["options"] == {"num_ctx": 256}
    assert body["messages"][-1]["content"].startswith("Summarise\n\nlorem")
