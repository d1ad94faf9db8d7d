"""The context window guard end to end: the fake server counts (and drops) the history as
Ollama does, the app asks before sending, says after a reply what the server dropped, and
/compact summarises the oldest turns (a real SQLite file keeps the originals)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from appdriver import drive_app
from fakeserver import FakeServer
from test_app import run_app

from termchat.app import ChatApp
from termchat.backends.openai import OpenAIBackend
from termchat.commands import run_command
from termchat.compaction import SUMMARY_REQUEST
from termchat.config import Config
from termchat.contextwin import Window
from termchat.frontend import PlainFrontend
from termchat.store import SessionStore

DROPPED = "silently dropped the rest"
TOO_LONG = "probably longer than the model's context"
WORDS = "lorem ipsum dolor sit amet " * 48  # 1296 characters: about 324 tokens


class Chooser(PlainFrontend):
    """A user who answers the guard's questions with these keys, in order (None: Enter)."""

    def __init__(self, *keys: str | None) -> None:
        super().__init__()
        self.keys = list(keys)
        self.asked: list[tuple[str, list[tuple[str, str]]]] = []

    async def choose(
        self, question: str, choices: Sequence[tuple[str, str]], *, unattended: str
    ) -> str | None:
        self.asked.append((question, list(choices)))
        return self.keys.pop(0)


def flat(text: str) -> str:
    return " ".join(text.split())


def test_dropped_history_is_said_once(fake_server: FakeServer, tmp_path: Path) -> None:
    user = Chooser("s", "s")

    async def script(app: ChatApp) -> None:
        await app.send(f"one {WORDS}")
        await app.send(f"two {WORDS}")
        await app.send(f"three {WORDS}")

    app, printed = run_app(
        fake_server, tmp_path, script, frontend=user, think=False, options={"num_ctx": 512}
    )
    bodies = fake_server.chat_requests()
    assert len(bodies) == 3
    # The whole history was sent each time; the server read only what fit.
    assert [m["content"][:4] for m in bodies[2]["messages"] if m["role"] == "user"] == [
        "one ",
        "two ",
        "thre",
    ]
    assert bodies[2]["options"] == {"num_ctx": 512}
    assert flat(printed).count(DROPPED) == 1
    assert "/set num_ctx N" in flat(printed) and "/compact" in flat(printed)
    assert app.context.last is not None and app.context.last.dropped
    # The guard asked before the 2nd and 3rd requests (each larger than the window).
    assert [q for q, _ in user.asked] == ["It will not fit:", "It will not fit:"]
    assert [key for key, _ in user.asked[0][1]] == ["n", "c", "s"]


def test_guard_raises_num_ctx(fake_server: FakeServer, tmp_path: Path) -> None:
    user = Chooser("n")

    async def script(app: ChatApp) -> None:
        await app.send(f"one {WORDS}")
        await app.send(f"two {WORDS}")

    app, printed = run_app(
        fake_server, tmp_path, script, frontend=user, think=False, options={"num_ctx": 512}
    )
    assert user.asked[0][1][0] == ("n", "/set num_ctx 2048")
    assert fake_server.last_chat()["options"] == {"num_ctx": 2048}
    assert app.conversation.options["num_ctx"] == 2048
    assert DROPPED not in flat(printed)
    assert "It will not fit" not in printed  # the question went to the frontend
    assert "This request is about" in flat(printed)


def test_guard_drops_old_reasoning(fake_server: FakeServer, tmp_path: Path) -> None:
    fake_server.queue_reply(thinking="hmm " * 600, content="Short answer.")
    fake_server.queue_reply(content="Second.")
    user = Chooser("r")

    async def script(app: ChatApp) -> None:
        await app.send("first")
        await app.send("second")

    app, _ = run_app(fake_server, tmp_path, script, frontend=user, options={"num_ctx": 512})
    keys = [key for key, _ in user.asked[0][1]]
    assert keys == ["n", "r", "c", "s"]
    sent = fake_server.last_chat()["messages"]
    assert sent == [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "Short answer."},
        {"role": "user", "content": "second"},
    ]
    # The history itself keeps the reasoning (and so does the database).
    assert app.conversation.messages[1].thinking.startswith("hmm")
    assert app.context.drop_reasoning


def test_guard_declined_sends_nothing(fake_server: FakeServer, tmp_path: Path) -> None:
    user = Chooser(None)

    async def script(app: ChatApp) -> None:
        await app.send(f"one {WORDS}")
        await app.send(f"two {WORDS}")

    app, printed = run_app(
        fake_server, tmp_path, script, frontend=user, think=False, options={"num_ctx": 512}
    )
    assert len(fake_server.chat_requests()) == 1
    assert app.conversation.awaiting_reply()
    assert "/retry sends it again" in flat(printed)


def test_guard_compacts_then_sends(fake_server: FakeServer, tmp_path: Path) -> None:
    fake_server.queue_reply(thinking="Thinking about one.", content="Answer one.")
    fake_server.queue_reply(content="Answer two.")
    fake_server.queue_reply(content="The user said one and two.")  # the summary
    fake_server.queue_reply(content="Answer three.")
    user = Chooser("c")

    async def script(app: ChatApp) -> None:
        await app.send(f"one {WORDS}")
        await app.send("two")
        await app.send(f"three {WORDS}")

    app, printed = run_app(fake_server, tmp_path, script, frontend=user, options={"num_ctx": 512})
    bodies = fake_server.chat_requests()
    assert len(bodies) == 4
    summary_request = bodies[2]
    assert summary_request["think"] is False
    assert summary_request["messages"] == [
        {"role": "user", "content": f"one {WORDS}"},
        {"role": "assistant", "content": "Answer one."},  # reasoning left out
        {"role": "user", "content": "two"},
        {"role": "assistant", "content": "Answer two."},
        {"role": "user", "content": SUMMARY_REQUEST},
    ]
    # Everything but the question waiting to be sent became the summary.
    assert bodies[3]["messages"] == [
        {"role": "user", "content": SUMMARY_REQUEST},
        {"role": "assistant", "content": "The user said one and two."},
        {"role": "user", "content": f"three {WORDS}"},
    ]
    assert "Compacted: 4 earlier messages" in flat(printed)
    assert "Another termchat wrote" not in flat(printed)
    assert DROPPED not in flat(printed)
    # The originals stay in the database, inactive; the active path is the compacted one.
    with SessionStore.open(tmp_path / "sessions.db") as store:
        session_id = app.conversation.session_id
        assert session_id is not None
        active = [row.message.content for row in store.load_rows(session_id)]
        assert active[0] == SUMMARY_REQUEST and active[-1] == "Answer three."
        stored = store.load_rows(session_id, include_inactive=True)
        originals = [row.message for row in stored if row.message.content == "Answer one."]
        assert [m.thinking for m in originals] == ["Thinking about one."]


def test_empty_reply_says_the_context_is_probably_too_small(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.queue_reply(content="")

    async def script(app: ChatApp) -> None:
        await app.send("hello")

    _, printed = run_app(fake_server, tmp_path, script)
    assert "The model sent back an empty reply" in flat(printed)
    assert TOO_LONG in flat(printed)


def test_length_cut_hints_continue(fake_server: FakeServer, tmp_path: Path) -> None:
    fake_server.queue_reply(content="Once upon a", done_reason="length")

    async def script(app: ChatApp) -> None:
        await app.send("tell me a story")

    _, printed = run_app(fake_server, tmp_path, script)
    assert "cut off at the length limit" in flat(printed)
    assert "Cut off at the length limit: /continue asks for the rest." in flat(printed)


def run_openai(fake_server: FakeServer, tmp_path: Path, text: str) -> tuple[ChatApp, str]:
    out = io.StringIO()
    app = drive_app(
        Config(model="llama3.2", home=tmp_path),
        lambda app: app.send(text),
        out,
        backend=lambda _: OpenAIBackend(fake_server.openai_url),
    )
    return app, out.getvalue()


LLAMA_CPP = "Requested tokens (5000) exceed context window of 4096"


@pytest.mark.parametrize(
    "how",
    [
        pytest.param("status", id="400-before-the-stream"),
        pytest.param("stream", id="error-event-in-the-stream"),
    ],
)
def test_openai_context_error_is_explained(
    fake_server: FakeServer, tmp_path: Path, how: str
) -> None:
    if how == "status":
        body: Any = {"error": {"code": 400, "message": LLAMA_CPP, "type": "invalid_request_error"}}
        fake_server.queue_error(400, body)
    else:
        fake_server.queue_reply(content="a b", error_line=LLAMA_CPP, error_after=1)
    _, printed = run_openai(fake_server, tmp_path, "hello")
    request = fake_server.last_chat("/v1/chat/completions")
    assert request["messages"] == [{"role": "user", "content": "hello"}]
    assert LLAMA_CPP in flat(printed)
    assert TOO_LONG in flat(printed)
    # The server's context is set where it starts: no /set num_ctx to offer.
    assert "llama.cpp: -c N" in flat(printed) and "/set num_ctx" not in flat(printed)


def test_info_shows_the_loaded_context(fake_server: FakeServer, tmp_path: Path) -> None:
    async def script(app: ChatApp) -> None:
        await app.send("hello")
        await run_command(app, "/info")
        await run_command(app, "/stats")

    app, printed = run_app(fake_server, tmp_path, script)
    assert any(r.path == "/api/ps" for r in fake_server.requests)
    text = flat(printed)
    assert "context window 4,096 (as loaded by the server)" in text
    assert "context length 40,960" in text
    used = app.context.used()
    assert used is not None and not used[1]
    assert f"context used: {used[0]:,} (" in text  # /stats says it too
    assert "time to first token" in text
    assert "reasoning phase" in text and "answer phase" in text
    level, toolbar = app.context.toolbar() or ("", "")
    assert level == "ok" and toolbar.startswith("ctx ") and toolbar.endswith("/4.1k 1%")


def test_compact_command_keeps_the_last_turns(fake_server: FakeServer, tmp_path: Path) -> None:
    for answer in ("A1.", "A2.", "A3.", "Summary of q1."):
        fake_server.queue_reply(content=answer)

    async def script(app: ChatApp) -> None:
        await run_command(app, "/compact")  # nothing yet
        for question in ("q1", "q2", "q3"):
            await app.send(question)
        await run_command(app, "/compact x")
        await run_command(app, "/compact")

    app, printed = run_app(fake_server, tmp_path, script, think=False)
    text = flat(printed)
    assert "Nothing to compact: the conversation has no turns before the last 2." in text
    assert "Usage: /compact [N]" in text
    assert fake_server.last_chat()["messages"] == [
        {"role": "user", "content": "q1"},
        {"role": "assistant", "content": "A1."},
        {"role": "user", "content": SUMMARY_REQUEST},
    ]
    assert [m.content for m in app.conversation.messages] == [
        SUMMARY_REQUEST,
        "Summary of q1.",
        "q2",
        "A2.",
        "q3",
        "A3.",
    ]
    _, figure = app.context.toolbar() or ("", "")
    assert figure.startswith("ctx ~")  # an estimate until the next reply is counted


def test_compact_stopped_or_failed_changes_nothing(fake_server: FakeServer, tmp_path: Path) -> None:
    for answer in ("A1.", "A2.", "A3."):
        fake_server.queue_reply(content=answer)
    fake_server.queue_error(500)

    async def script(app: ChatApp) -> None:
        for question in ("q1", "q2", "q3"):
            await app.send(question)
        await run_command(app, "/compact")

    app, printed = run_app(fake_server, tmp_path, script, think=False)
    assert "/compact failed" in flat(printed)
    assert [m.content for m in app.conversation.messages][:2] == ["q1", "A1."]


def test_resumed_conversation_keeps_its_figures(fake_server: FakeServer, tmp_path: Path) -> None:
    async def first(app: ChatApp) -> None:
        await app.send(f"one {WORDS}")

    app, _ = run_app(fake_server, tmp_path, first, think=False, options={"num_ctx": 512})
    session_id = app.conversation.session_id
    used = app.context.used()
    assert session_id is not None and used is not None
    user = Chooser("s")

    async def second(app: ChatApp) -> None:
        await run_command(app, f"/resume {session_id}")
        assert app.context.used() == used  # the toolbar's figure, read back from the store
        await app.send(f"two {WORDS}")

    app, printed = run_app(fake_server, tmp_path, second, frontend=user, think=False)
    assert [q for q, _ in user.asked] == ["It will not fit:"]
    assert app.context.window() == Window(512, "num_ctx")  # the saved option
    assert DROPPED in flat(printed)
