"""/tree and `sessions show --tree`: the branches drawn, and /tree N sending exactly that path.

Real HTTP to the loopback fake server, a real SQLite file, the real renderer into a buffer.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from pathlib import Path

from appdriver import drive_app
from fakeserver import FakeServer
from terminal import Terminal, termchat

from termchat.app import ChatApp
from termchat.backends.ollama import OllamaBackend
from termchat.branches import build_branches, current
from termchat.commands import run_command
from termchat.config import Config
from termchat.messages import Message
from termchat.render.tree import tree_rows
from termchat.store import SessionStore, StoredMessage


class Seen:
    """What the app printed since the last look."""

    def __init__(self, out: io.StringIO) -> None:
        self.out = out
        self.at = 0

    def __call__(self) -> str:
        text = self.out.getvalue()[self.at :]
        self.at = len(self.out.getvalue())
        return text


def run_chat(
    server: FakeServer, home: Path, script: Callable[[ChatApp, Seen], Awaitable[None]]
) -> None:
    out = io.StringIO()
    drive_app(
        Config(model="qwen3", home=home),
        lambda app: script(app, Seen(out)),
        out,
        width=100,
        backend=lambda _: OllamaBackend(server.url),
    )


async def four_branches(app: ChatApp, server: FakeServer) -> None:
    """Q1 A1, Q2 A2, /retry (A2b), /undo (Q2 and its replies undone), Q3 A3."""
    for question, answer in (("Q1", "A1"), ("Q2", "A2")):
        server.queue_reply(content=answer)
        await app.send(question)
    server.queue_reply(content="A2b")
    await run_command(app, "/retry")
    await run_command(app, "/undo")
    server.queue_reply(content="A3")
    await app.send("Q3")


def test_tree_draws_retries_and_undone_exchanges_and_switches_to_exactly_that_path(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    async def script(app: ChatApp, seen: Seen) -> None:
        await four_branches(app, fake_server)
        seen()
        await run_command(app, "/tree")
        drawn = [line.rstrip() for line in seen().splitlines()]
        rows = [line for line in drawn if "[" in line]
        assert [" ".join(row.split()) for row in rows] == [
            "[1] ● you: Q1 → A1 2",
            "├─ [2] ○ you: Q2 → A2 2 from #3 undone",
            "│ └─ [3] ○ reply: A2b 1 from #4",
            "└─ [4] ● you: Q3 → A3 2 from #3 ← here",
        ]
        await run_command(app, "/tree 3")
        shown = seen()
        assert "Branch 3" in shown and "A2b" in shown and "A3" not in shown
        assert [m.content for m in app.conversation.messages] == ["Q1", "A1", "Q2", "A2b"]
        fake_server.queue_reply(content="A4")
        await app.send("Q4")
        sent = [(m["role"], m["content"]) for m in fake_server.last_chat()["messages"]]
        assert sent == [
            ("user", "Q1"),
            ("assistant", "A1"),
            ("user", "Q2"),
            ("assistant", "A2b"),
            ("user", "Q4"),
        ]
        await run_command(app, "/tree")
        after = " ".join(seen().split())
        assert "│ └─ [3] ● reply: A2b 3 from #4 ← here" in after  # Q4 A4 went on from it
        assert "└─ [4] ○ you: Q3 → A3 2 from #3" in after
        await run_command(app, "/tree 4")
        seen()
        fake_server.queue_reply(content="A5")
        await app.send("Q5")
        sent = [m["content"] for m in fake_server.last_chat()["messages"]]
        assert sent == ["Q1", "A1", "Q3", "A3", "Q5"]

    run_chat(fake_server, tmp_path, script)
    with SessionStore.open(tmp_path / "sessions.db") as store:
        (summary,) = store.list_sessions()
        active = [m.content for m in store.load_messages(summary.id)]
    assert active == ["Q1", "A1", "Q3", "A3", "Q5", "A5"]


def test_tree_mistakes_are_one_line_each(fake_server: FakeServer, tmp_path: Path) -> None:
    async def script(app: ChatApp, seen: Seen) -> None:
        await run_command(app, "/tree")
        assert "No branches yet" in seen()
        fake_server.queue_reply(content="A1")
        await app.send("Q1")
        seen()
        for args, said in (("9", "No branch 9: /tree lists 1 to 1"), ("x", "Usage: /tree [N]")):
            await run_command(app, f"/tree {args}")
            text = seen()
            assert said in text and "Traceback" not in text
        await run_command(app, "/incognito")
        await run_command(app, "/tree 1")
        assert "Cannot switch branches" in seen()

    run_chat(fake_server, tmp_path, script)


def test_sessions_show_tree_prints_the_branches(fake_server: FakeServer, tmp_path: Path) -> None:
    async def script(app: ChatApp, seen: Seen) -> None:
        await four_branches(app, fake_server)

    run_chat(fake_server, tmp_path, script)
    with SessionStore.open(tmp_path / "sessions.db") as store:
        (summary,) = store.list_sessions()
    shown = termchat("sessions", "show", summary.id, "--tree", home=tmp_path)
    assert shown.returncode == 0, shown.stderr
    text = " ".join(shown.stdout.split())
    assert "├─ [2] ○ you: Q2 → A2 2 from #3 undone" in text
    assert "└─ [4] ● you: Q3 → A3 2 from #3 ← here" in text


def _row(row_id: int, seq: int, gen: int, parent_gen: int | None, active: bool) -> StoredMessage:
    role = "user" if seq % 2 == 0 else "assistant"
    message = Message(role=role, content=f"m{row_id}")
    return StoredMessage(row_id, seq, gen, parent_gen, active, 0.0, message)


def test_build_branches_edit_of_the_first_question_is_a_second_top_branch() -> None:
    rows = [
        _row(1, 0, 0, None, False),
        _row(2, 1, 0, 0, False),
        _row(3, 0, 1, None, True),
        _row(4, 1, 1, 1, True),
    ]
    branches = build_branches(rows)
    assert [(b.number, b.depth, b.parent) for b in branches] == [(1, 0, None), (2, 0, None)]
    assert current(branches) is branches[1]
    labels = [label for label, _, _ in tree_rows(branches, branches[1])]
    assert labels == ["[1] ○ you: m1 → m2", "[2] ● you: m3 → m4"]


def test_build_branches_a_deep_chain_of_retries_needs_no_recursion() -> None:
    rows = [_row(1, 0, 0, None, True)]
    for gen in range(1, 3000):  # each retry forks from the one before it
        rows.append(_row(gen + 1, gen, gen, gen - 1, True))
    branches = build_branches(rows)
    assert len(branches) == 3000 and branches[-1].depth == 2999


def test_tree_in_a_real_terminal_draws_and_switches(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    term = Terminal(["--host", fake_server.url, "-m", "qwen3"], home=tmp_path, rows=30, cols=100)
    try:
        term.wait_for("❯")
        fake_server.queue_reply(content="first answer")
        term.line("first question")
        term.wait_for("first answer")
        fake_server.queue_reply(content="second answer")
        term.line("/retry")
        term.wait_for("second answer")
        term.line("/tree")
        term.wait_for("← here")
        screen = " ".join(term.display().split())
        assert "[1] ● you: first question → first answer" in screen
        assert "└─ [2] ● reply: second answer 1 from #2 ← here" in screen
        term.line("/tree 1")
        term.wait_for("Branch 1:")
        fake_server.queue_reply(content="third answer")
        term.line("next")
        term.wait_for("third answer")
        sent = [m["content"] for m in fake_server.last_chat()["messages"]]
        assert sent == ["first question", "first answer", "next"]
        term.key("ctrl-d")
        assert term.wait_exit() == 0
    finally:
        term.close()
