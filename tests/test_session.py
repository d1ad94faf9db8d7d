"""ChatSession at the seam: commands, the screen, the request and the database agree.

Real HTTP to the loopback fake server, a real SQLite file, the real renderer into a buffer.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from appdriver import drive_app
from fakeserver import FakeServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from termchat import session as session_module
from termchat.app import ChatApp
from termchat.backends.ollama import OllamaBackend
from termchat.commands import run_command
from termchat.config import Config
from termchat.frontend import PlainFrontend
from termchat.messages import Message
from termchat.session import NOT_SAVING, session_for
from termchat.store import SessionStore


class Editing(PlainFrontend):
    """The plain frontend, with an editor that gives back what the test says."""

    def __init__(self, editor: Callable[[str], Awaitable[str | None]] | None) -> None:
        super().__init__()
        self._editor = editor

    async def edit(self, text: str) -> str | None:
        return None if self._editor is None else await self._editor(text)


@dataclass
class Harness:
    """A ChatApp wired as launch.py wires it, with what it printed since the last look."""

    app: ChatApp
    out: io.StringIO
    seen: int = 0

    def printed(self) -> str:
        text = self.out.getvalue()[self.seen :]
        self.seen = len(self.out.getvalue())
        return text


def run_chat(
    server: FakeServer,
    home: Path,
    script: Callable[[Harness], Awaitable[None]],
    editor: Callable[[str], Awaitable[str | None]] | None = None,
    **config: Any,
) -> None:
    out = io.StringIO()
    drive_app(
        Config(model="qwen3", home=home, **config),
        lambda app: script(Harness(app, out)),
        out,
        width=100,
        backend=lambda _: OllamaBackend(server.url),
        frontend=Editing(editor),
    )


def stored(home: Path) -> list[list[str]]:
    """The active history of every saved conversation, oldest conversation first (each
    message's first line: the fake server's default reply adds a second)."""
    if not (home / "sessions.db").exists():
        return []
    with SessionStore.open(home / "sessions.db") as store:
        ids = [s.id for s in reversed(store.list_sessions())]
        return [[m.content.split("\n")[0] for m in store.load_messages(i)] for i in ids]


def test_session_incognito_then_new_says_the_truth_and_carries_visibly(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    async def script(h: Harness) -> None:
        await run_command(h.app, "/incognito")
        await h.app.send("secret")
        h.printed()
        await run_command(h.app, "/new")
        said = h.printed()
        assert "was not saved" in said
        assert "stays saved" not in said
        assert NOT_SAVING in said  # still incognito, and it says so
        assert not h.app.session.saving

    run_chat(fake_server, tmp_path, script)
    assert stored(tmp_path) == []


def test_session_incognito_again_saves_the_whole_conversation(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    async def script(h: Harness) -> None:
        await h.app.send("one")
        await run_command(h.app, "/incognito")
        await h.app.send("two")
        assert stored(tmp_path) == [["one", "You said: one"]]
        await run_command(h.app, "/incognito")
        assert "Saving is on" in h.printed()
        await h.app.send("three")

    run_chat(fake_server, tmp_path, script)
    assert stored(tmp_path) == [
        ["one", "You said: one", "two", "You said: two", "three", "You said: three"]
    ]


def test_session_undo_while_incognito_then_saving_again_matches_the_screen(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    async def script(h: Harness) -> None:
        await h.app.send("one")
        await h.app.send("two")
        await run_command(h.app, "/incognito")
        await run_command(h.app, "/undo")
        await run_command(h.app, "/incognito")
        assert "Another termchat" not in h.printed()

    run_chat(fake_server, tmp_path, script)
    assert stored(tmp_path) == [["one", "You said: one"]]


def test_session_resume_works_while_not_saving(fake_server: FakeServer, tmp_path: Path) -> None:
    async def first(h: Harness) -> None:
        await h.app.send("remember me")

    run_chat(fake_server, tmp_path, first)

    async def second(h: Harness) -> None:
        await run_command(h.app, "/incognito")
        session_id = stored(tmp_path) and h.app.session.summaries()[0].id
        assert session_id
        await run_command(h.app, f"/resume {session_id}")
        said = h.printed()
        assert "Resumed" in said and NOT_SAVING in said
        await h.app.send("not kept")
        sent = [m["content"].split("\n")[0] for m in fake_server.last_chat()["messages"]]
        assert sent == ["remember me", "You said: remember me", "not kept"]

    run_chat(fake_server, tmp_path, second)
    assert stored(tmp_path) == [["remember me", "You said: remember me"]]


def test_session_no_save_writes_no_file_and_resume_says_there_is_nothing(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    async def script(h: Harness) -> None:
        await h.app.send("hi")
        await run_command(h.app, "/resume abc")
        assert "no saved conversations" in h.printed().lower()

    run_chat(fake_server, tmp_path, script, save=False)
    assert not (tmp_path / "sessions.db").exists()


def test_session_undo_retry_alt_never_brings_the_undone_exchange_back(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    async def script(h: Harness) -> None:
        fake_server.queue_reply(content="A1")
        await h.app.send("Q1")
        fake_server.queue_reply(content="A2")
        await h.app.send("Q2")
        await run_command(h.app, "/undo")
        fake_server.queue_reply(content="A1 again")
        await run_command(h.app, "/retry")
        h.printed()
        await run_command(h.app, "/alt")
        screen = h.printed()
        assert "Alternative 1 of 2" in screen and "A1" in screen
        assert "Q2" not in screen and "A2" not in screen
        assert [m.content for m in h.app.conversation.messages] == ["Q1", "A1"]
        fake_server.queue_reply(content="A3")
        await h.app.send("Q3")
        sent = [m["content"] for m in fake_server.last_chat()["messages"]]
        assert sent == ["Q1", "A1", "Q3"]

    run_chat(fake_server, tmp_path, script)
    assert stored(tmp_path) == [["Q1", "A1", "Q3", "A3"]]


# --- random sequences of history edits --------------------------------------------------------


@dataclass
class Node:
    """The reference model: one message in a tree; `follow` is where its branch went on."""

    content: str
    children: list[Node] = field(default_factory=list)
    follow: Node | None = None


@dataclass
class Model:
    root: Node = field(default_factory=lambda: Node("<root>"))
    path: list[Node] = field(default_factory=list)

    def _link(self) -> None:
        previous = self.root
        for node in self.path:
            previous.follow = node
            previous = node

    def _child(self, parent: Node, content: str) -> Node:
        node = Node(content)
        parent.children.append(node)
        return node

    def tip(self) -> Node:
        return self.path[-1] if self.path else self.root

    def last_user(self) -> int | None:
        users = [i for i, node in enumerate(self.path) if node.content.startswith("Q")]
        return users[-1] if users else None

    def send(self, question: str, reply: str) -> None:
        user = self._child(self.tip(), question)
        self.path += [user, self._child(user, reply)]
        self._link()

    def undo(self) -> None:
        index = self.last_user()
        if index is None:
            return
        parent = self.path[index - 1] if index else self.root
        self.path = self.path[:index]
        parent.follow = None  # cut: this branch does not go on into the undone exchange

    def retry(self, reply: str) -> None:
        index = self.last_user()
        if index is None:
            return
        user = self.path[index]
        self.path = [*self.path[: index + 1], self._child(user, reply)]
        self._link()

    def alt(self) -> None:
        index = self.last_user()
        if index is None or len(self.path[index].children) < 2:
            return
        replies = self.path[index].children
        current = replies.index(self.path[index + 1]) if len(self.path) > index + 1 else -1
        chosen = replies[(current + 1) % len(replies)]
        rest = [chosen]
        while rest[-1].follow is not None:
            rest.append(rest[-1].follow)
        self.path = self.path[: index + 1] + rest
        self._link()

    def edit(self, question: str, reply: str) -> None:
        index = self.last_user()
        if index is None:
            return
        self.path = self.path[:index]
        self.send(question, reply)

    def contents(self) -> list[str]:
        return [node.content for node in self.path]


OPS = st.lists(st.sampled_from(["send", "undo", "retry", "alt", "edit", "resume"]), max_size=12)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_session_any_sequence_of_edits_keeps_screen_request_and_store_equal(
    ops: list[str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Resuming reads only the last message at once (RESUME_TAIL is 1 here), so every edit
    also runs on a history whose earlier messages are read only when something needs them."""
    home = tmp_path_factory.mktemp("seq")
    patch = pytest.MonkeyPatch()
    patch.setattr(session_module, "RESUME_TAIL", 1)
    server = FakeServer()
    model = Model()
    counter = iter(range(1000))
    edited: list[str] = []

    async def editor(text: str) -> str | None:
        return edited[-1]

    async def script(h: Harness) -> None:
        for op in ops:
            n = next(counter)
            before = model.contents()
            asks = len(server.chat_requests())
            if op == "send":
                server.queue_reply(content=f"A{n}")
                await h.app.send(f"Q{n}")
                model.send(f"Q{n}", f"A{n}")
            elif op == "undo":
                await run_command(h.app, "/undo")
                model.undo()
            elif op == "retry":
                if model.last_user() is not None:  # else nothing is asked
                    server.queue_reply(content=f"A{n}")
                await run_command(h.app, "/retry")
                model.retry(f"A{n}")
            elif op == "alt":
                await run_command(h.app, "/alt")
                model.alt()
            elif op == "resume":
                if h.app.session.saved:
                    await run_command(h.app, f"/resume {h.app.session.session_id}")
            else:
                edited.append(f"Q{n} edited")
                if model.last_user() is not None:
                    server.queue_reply(content=f"A{n}")
                await run_command(h.app, "/edit")
                model.edit(f"Q{n} edited", f"A{n}")
            screen = h.printed()
            expected = model.contents()
            assert [m.content for m in h.app.conversation.messages] == expected, op
            sessions = stored(home)
            assert sessions[-1:] == ([expected] if expected or sessions else []), op
            if len(server.chat_requests()) > asks:  # the request is exactly the active path
                sent = [m["content"] for m in server.last_chat()["messages"]]
                assert sent == expected[:-1], op
            if op == "alt" and expected != before:
                index = model.last_user()
                assert index is not None
                for message in expected[index + 1 :]:
                    assert message in screen
                gone = set(before) - set(expected) - {before[index + 1]}
                assert not any(word in screen.split() for word in gone), (screen, gone)

    try:
        run_chat(server, home, script, editor=editor)
    finally:
        server.close()
        patch.undo()
    assert not server.errors


# --- a reply saved while it streams (kill -9 keeps all but the last second) --------------


def test_session_checkpoints_update_one_row_that_finish_completes(tmp_path: Path) -> None:
    session = session_for(Config(model="m", home=tmp_path), lambda text: None)
    try:
        session.add_user("q")
        save = session.checkpointer()
        save(Message("assistant", "par", interrupted=True))
        save(Message("assistant", "partial", interrupted=True))
        with SessionStore.open(tmp_path / "sessions.db") as store:
            rows = store.load_rows(store.list_sessions()[0].id, include_inactive=True)
            assert [(r.message.content, r.in_progress) for r in rows] == [
                ("q", False),
                ("partial", True),
            ]
            assert rows[1].message.interrupted
        session.finish(Message("assistant", "partial and whole"))
        save(Message("assistant", "late", interrupted=True))  # after the end: ignored
    finally:
        session.close()
    assert stored(tmp_path) == [["q", "partial and whole"]]
    with SessionStore.open(tmp_path / "sessions.db") as store:
        reply = store.load_rows(store.list_sessions()[0].id)[1]
    assert not reply.in_progress and not reply.message.interrupted
    assert session.conversation.messages[-1].content == "partial and whole"


def test_session_checkpoints_write_nothing_when_not_saving(tmp_path: Path) -> None:
    session = session_for(Config(model="m", home=tmp_path, save=False), lambda text: None)
    session.add_user("q")
    session.checkpointer()(Message("assistant", "part", interrupted=True))
    session.finish(Message("assistant", "whole"))
    session.close()
    assert not (tmp_path / "sessions.db").exists()
    assert [m.content for m in session.conversation.messages] == ["q", "whole"]


def test_session_streaming_reply_is_saved_before_it_ends(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.queue_reply(content="first words, then the rest", hold_after=3)

    def saved_reply() -> str | None:
        history = stored(tmp_path)
        return history[0][1] if history and len(history[0]) > 1 else None

    async def script(h: Harness) -> None:
        turn = asyncio.create_task(h.app.send("hi"))
        while saved_reply() is None:  # the first checkpoint comes with the first frame
            assert not turn.done()
            await asyncio.sleep(0.02)
        assert "first words, then the rest".startswith(saved_reply() or "-")
        fake_server.release()
        await turn

    run_chat(fake_server, tmp_path, script, think=False)
    assert stored(tmp_path) == [["hi", "first words, then the rest"]]
    with SessionStore.open(tmp_path / "sessions.db") as store:
        rows = store.load_rows(store.list_sessions()[0].id, include_inactive=True)
    assert len(rows) == 2 and not rows[1].in_progress and not rows[1].message.interrupted
