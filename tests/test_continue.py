"""/continue against the fake server: the exact continuation request on each kind of server, and
the continued reply kept as ONE message (in memory and in its own row of a real SQLite file)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from appdriver import drive_app
from fakeserver import FakeServer

from termchat.app import ChatApp
from termchat.commands import run_command
from termchat.commands.session import resume
from termchat.config import Config
from termchat.continuation import ASK_TEXT, needs_space
from termchat.frontend import Frontend
from termchat.store import SessionStore

Script = Callable[[ChatApp], Awaitable[None]]


def run(
    fake_server: FakeServer,
    tmp_path: Path,
    script: Script,
    *,
    backend: str = "ollama",
    arrived: asyncio.Event | None = None,
    frontend: Frontend | None = None,
    **config: Any,
) -> tuple[ChatApp, str]:
    """A ChatApp built as launch.py builds it, on either API of the fake server; runs `script`
    and returns the app and what it printed."""
    out = io.StringIO()
    host = fake_server.openai_url if backend == "openai" else fake_server.url
    cfg = Config(
        model="qwen3", home=tmp_path, backend=backend, host=host, host_given=True, **config
    )
    app = drive_app(cfg, script, out, frontend=frontend, arrived=arrived)
    return app, " ".join(out.getvalue().split())


def stored(tmp_path: Path) -> list[Any]:
    """The active rows of the latest saved conversation."""
    with SessionStore.open(tmp_path / "sessions.db") as store:
        session = store.latest_session()
        assert session is not None
        return store.load_rows(session.id)


def cut_by_error(fake_server: FakeServer, content: str = "The sky is blue because") -> None:
    """Queue a reply whose connection fails after its content (a dropped connection)."""
    fake_server.queue_reply(content=content, error_line="connection reset", error_after=99)


# --- Ollama: the partial reply goes last ------------------------------------------------------


def test_continue_ollama_sends_the_partial_last_and_joins_it_in_its_row(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    cut_by_error(fake_server)
    fake_server.queue_reply(content=" sunlight scatters.")

    async def script(app: ChatApp) -> None:
        await app.send("why blue?")
        assert app.conversation.messages[-1].interrupted
        await run_command(app, "/continue")

    app, printed = run(fake_server, tmp_path, script, think=False)
    body = fake_server.last_chat()
    assert body["messages"] == [
        {"role": "user", "content": "why blue?"},
        {"role": "assistant", "content": "The sky is blue because"},
    ]
    assert "continue_final_message" not in body and "add_generation_prompt" not in body
    last = app.conversation.messages[-1]
    assert [m.role for m in app.conversation.messages] == ["user", "assistant"]
    assert last.content == "The sky is blue because sunlight scatters."
    assert not last.interrupted and last.error is None
    rows = stored(tmp_path)
    assert [row.message.content for row in rows] == ["why blue?", last.content]
    assert not rows[1].message.interrupted and rows[1].message.error is None
    assert "Continuing reply 1" in printed


def test_continue_after_ctrl_c_completes_the_same_row(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.queue_reply(thinking="Light and air.", content="Short waves scatter", hold_after=4)
    fake_server.queue_reply(content=" more than long ones.")
    arrived = asyncio.Event()
    rows_before: list[Any] = []

    async def script(app: ChatApp) -> None:
        task = asyncio.create_task(app.send("why blue?"))
        await asyncio.wait_for(arrived.wait(), 10)
        assert app.interrupt()
        await task
        rows_before.extend(stored(tmp_path))
        await run_command(app, "/continue")

    app, _ = run(fake_server, tmp_path, script, arrived=arrived)
    partial = rows_before[1].message
    assert partial.interrupted and partial.content
    sent = fake_server.last_chat()["messages"][-1]
    assert sent["role"] == "assistant" and sent["content"] == partial.content
    assert sent["thinking"] == "Light and air."
    rows = stored(tmp_path)
    assert [row.row_id for row in rows] == [row.row_id for row in rows_before]
    assert rows[1].message.content == partial.content + " more than long ones."
    assert rows[1].message.thinking == "Light and air."
    assert not rows[1].message.interrupted
    assert app.conversation.messages[-1].content == rows[1].message.content


def test_continue_a_reply_cut_inside_its_reasoning_continues_the_reasoning(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.queue_reply(thinking="First, the light", error_line="lost", error_after=99)
    fake_server.queue_reply(thinking=" meets the air.", content="Blue scatters most.")

    async def script(app: ChatApp) -> None:
        await app.send("why blue?")
        await run_command(app, "/continue")

    app, _ = run(fake_server, tmp_path, script)
    sent = fake_server.last_chat()["messages"][-1]
    assert sent == {"role": "assistant", "content": "", "thinking": "First, the light"}
    last = app.conversation.messages[-1]
    assert last.thinking == "First, the light meets the air."
    assert last.content == "Blue scatters most." and not last.interrupted
    assert stored(tmp_path)[1].message.thinking == last.thinking


def test_continue_a_reply_stopped_at_the_length_limit(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.queue_reply(content="One, two,", done_reason="length")
    fake_server.queue_reply(content=" three.")

    async def script(app: ChatApp) -> None:
        await app.send("count")
        await run_command(app, "/continue")

    app, _ = run(fake_server, tmp_path, script)
    last = app.conversation.messages[-1]
    assert last.content == "One, two, three."
    assert last.stats is not None and last.stats.done_reason == "stop"


def test_continue_a_resumed_conversation(fake_server: FakeServer, tmp_path: Path) -> None:
    cut_by_error(fake_server, "Once upon")
    fake_server.queue_reply(content=" a time.")

    async def first(app: ChatApp) -> None:
        await app.send("a story")

    run(fake_server, tmp_path, first)
    with SessionStore.open(tmp_path / "sessions.db") as store:
        latest = store.latest_session()
        assert latest is not None

    async def second(app: ChatApp) -> None:
        resume(app, latest.id)  # as `termchat -r ID` does
        await run_command(app, "/continue")

    run(fake_server, tmp_path, second)
    assert [row.message.content for row in stored(tmp_path)] == ["a story", "Once upon a time."]
    assert fake_server.last_chat()["messages"][-1] == {"role": "assistant", "content": "Once upon"}


@pytest.mark.parametrize(
    ("setup", "said"),
    [
        pytest.param([], "there is no reply yet", id="empty"),
        pytest.param([{"content": "All done."}], "the last reply is complete", id="complete"),
    ],
)
def test_continue_with_nothing_to_continue_says_why(
    fake_server: FakeServer, tmp_path: Path, setup: list[dict[str, Any]], said: str
) -> None:
    for reply in setup:
        fake_server.queue_reply(**reply)

    async def script(app: ChatApp) -> None:
        if setup:
            await app.send("hi")
        await run_command(app, "/continue")

    _, printed = run(fake_server, tmp_path, script)
    assert f"Nothing to continue: {said}" in printed
    assert len(fake_server.chat_requests()) == len(setup)


# --- OpenAI-compatible servers ----------------------------------------------------------------


def test_continue_openai_uses_vllm_continue_final_message(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.queue_reply(thinking="Hmm.", content="The sky is", error_line="x", error_after=99)
    fake_server.queue_reply(content=" blue.")

    async def script(app: ChatApp) -> None:
        await app.send("sky?")
        await run_command(app, "/continue")

    app, _ = run(fake_server, tmp_path, script, backend="openai")
    body = fake_server.last_chat("/v1/chat/completions")
    assert body["continue_final_message"] is True and body["add_generation_prompt"] is False
    assert body["messages"] == [
        {"role": "user", "content": "sky?"},
        {"role": "assistant", "content": "The sky is"},
    ]
    assert len(fake_server.chat_requests("/v1/chat/completions")) == 2
    assert app.conversation.messages[-1].content == "The sky is blue."


def test_continue_openai_falls_back_to_asking_and_remembers_the_server(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.vllm_fields = False  # the OpenAI API: unknown arguments are a 400
    cut_by_error(fake_server, "The sky is")
    fake_server.queue_reply(content="blue, mostly.")
    cut_by_error(fake_server, "Sunsets are")
    fake_server.queue_reply(content="red.")

    async def script(app: ChatApp) -> None:
        await app.send("sky?")
        await run_command(app, "/continue")
        await app.send("sunset?")
        await run_command(app, "/continue")

    app, printed = run(fake_server, tmp_path, script, backend="openai")
    bodies = fake_server.chat_requests("/v1/chat/completions")
    # sky?, refused continuation, asked continuation, sunset?, asked continuation at once
    assert len(bodies) == 5
    assert bodies[1]["continue_final_message"] is True
    for asked in (bodies[2], bodies[4]):
        assert "continue_final_message" not in asked and "add_generation_prompt" not in asked
        assert asked["messages"][-1] == {"role": "user", "content": ASK_TEXT}
    assert bodies[2]["messages"][-2] == {"role": "assistant", "content": "The sky is"}
    assert printed.count("does not take continue_final_message") == 1
    contents = [m.content for m in app.conversation.messages]
    assert contents[1] == "The sky is blue, mostly."  # joined with a space between words
    assert contents[3] == "Sunsets are red."
    assert ASK_TEXT not in contents  # the request's question is not kept


def test_continue_mode_ask_on_ollama_asks_the_model(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    cut_by_error(fake_server, "Half")
    fake_server.queue_reply(content="and the rest.")

    async def script(app: ChatApp) -> None:
        await app.send("go")
        await run_command(app, "/continue")

    app, _ = run(fake_server, tmp_path, script, continue_mode="ask")
    assert fake_server.last_chat()["messages"][-2:] == [
        {"role": "assistant", "content": "Half"},
        {"role": "user", "content": ASK_TEXT},
    ]
    assert app.conversation.messages[-1].content == "Half and the rest."


@pytest.mark.parametrize(
    ("before", "after", "space"),
    [
        pytest.param("is", "blue", True, id="two-words"),
        pytest.param("end.", "Next", True, id="after-a-sentence"),
        pytest.param("is ", "blue", False, id="space-already"),
        pytest.param("is", " blue", False, id="space-coming"),
        pytest.param("is", ", then", False, id="punctuation-coming"),
        pytest.param("", "blue", False, id="nothing-before"),
    ],
)
def test_needs_space_only_between_two_words(before: str, after: str, space: bool) -> None:
    assert needs_space(before, after) is space


def test_continue_openai_a_reply_cut_inside_its_reasoning_starts_the_answer(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    # Reasoning never goes back on this API: the open reply is empty, so the model answers
    # (and may reason again); what it reasons now joins the reasoning kept so far.
    fake_server.queue_reply(thinking="First, the light", error_line="lost", error_after=99)
    fake_server.queue_reply(thinking="Rayleigh.", content="Blue scatters most.")

    async def script(app: ChatApp) -> None:
        await app.send("why blue?")
        await run_command(app, "/continue")

    app, _ = run(fake_server, tmp_path, script, backend="openai")
    body = fake_server.last_chat("/v1/chat/completions")
    assert body["messages"][-1] == {"role": "assistant", "content": ""}
    assert body["continue_final_message"] is True
    last = app.conversation.messages[-1]
    assert last.thinking == "First, the light\n\nRayleigh."
    assert last.content == "Blue scatters most." and not last.interrupted
