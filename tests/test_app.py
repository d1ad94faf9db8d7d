"""ChatApp in-process: real HTTP to the fake server, a real SQLite file, a recording renderer."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import os
import re
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from appdriver import drive_app
from fakeserver import FakeServer

from termchat.app import ChatApp
from termchat.backends.ollama import OllamaBackend
from termchat.commands import run_command
from termchat.config import Config
from termchat.frontend import Frontend, PlainFrontend
from termchat.messages import ToolCall
from termchat.store import SessionStore
from termchat.tools.policy import ApprovalAnswer, ApprovalState
from termchat.tools.registry import Tool, ToolRegistry
from termchat.tools.toolbox import Toolbox, build_toolbox


def run_app(
    fake_server: FakeServer,
    tmp_path: Path,
    script: Callable[[ChatApp], Awaitable[None]],
    arrived: asyncio.Event | None = None,
    *,
    tools: Toolbox | None = None,
    frontend: Frontend | None = None,
    **config: Any,
) -> tuple[ChatApp, str]:
    """Build a ChatApp like launch.py does, run `script` with it, return it and what it printed.

    The frontend defaults to the plain one, as for a run without a prompt.
    """
    out = io.StringIO()
    app = drive_app(
        Config(model="qwen3", home=tmp_path, **config),
        script,
        out,
        backend=lambda _: OllamaBackend(fake_server.url),
        frontend=frontend,
        tools=tools,
        arrived=arrived,
    )
    return app, out.getvalue()


def test_app_retry_keeps_alternatives_and_alt_cycles(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.queue_reply(content="First answer.")
    fake_server.queue_reply(content="Second answer.")

    async def script(app: ChatApp) -> None:
        await app.send("question")
        await run_command(app, "/retry")
        assert app.conversation.messages[-1].content == "Second answer."
        await run_command(app, "/alt")
        assert app.conversation.messages[-1].content == "First answer."
        await run_command(app, "/alt")
        assert app.conversation.messages[-1].content == "Second answer."

    _, printed = run_app(fake_server, tmp_path, script)
    assert "Alternative 1 of 2" in printed and "Alternative 2 of 2" in printed
    # The retried request carried the history up to the question only.
    assert fake_server.last_chat()["messages"] == [{"role": "user", "content": "question"}]
    with SessionStore.open(tmp_path / "sessions.db") as store:
        session = store.latest_session()
        assert session is not None
        assert [m.content for m in store.load_messages(session.id)] == [
            "question",
            "Second answer.",
        ]


def test_app_undo_drops_last_exchange_in_memory_and_store(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    async def script(app: ChatApp) -> None:
        await app.send("one")
        await app.send("two")
        await run_command(app, "/undo")
        contents = [m.content for m in app.conversation.messages]
        assert len(contents) == 2
        assert contents[0] == "one" and contents[1].startswith("You said: one")

    run_app(fake_server, tmp_path, script)
    with SessionStore.open(tmp_path / "sessions.db") as store:
        session = store.latest_session()
        assert session is not None
        assert store.load_messages(session.id)[0].content == "one"
        assert len(store.load_messages(session.id)) == 2


def test_app_settings_saved_as_they_change(fake_server: FakeServer, tmp_path: Path) -> None:
    async def script(app: ChatApp) -> None:
        await app.send("hi")
        await run_command(app, "/set temperature 0.1")
        await run_command(app, "/system Be terse.")
        await run_command(app, "/think off")
        await run_command(app, "/model llama3.2")

    run_app(fake_server, tmp_path, script)
    with SessionStore.open(tmp_path / "sessions.db") as store:
        session = store.latest_session()
        assert session is not None
        assert session.options == {"temperature": 0.1}
        assert session.system == "Be terse."
        assert session.think is False
        assert session.model == "llama3.2"


def test_app_stream_error_keeps_partial_marked_interrupted(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.queue_reply(
        content="Half of an answer that", error_line="out of memory", error_after=3
    )

    async def script(app: ChatApp) -> None:
        await app.send("go")

    app, printed = run_app(fake_server, tmp_path, script)
    last = app.conversation.messages[-1]
    assert last.role == "assistant" and last.interrupted and last.error == "out of memory"
    assert last.content.startswith("Half")
    assert "out of memory" in printed
    with SessionStore.open(tmp_path / "sessions.db") as store:
        session = store.latest_session()
        assert session is not None
        saved = store.load_messages(session.id)[-1]
        assert saved.interrupted and saved.content == last.content


def test_app_interrupt_closes_stream_and_keeps_partial(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.queue_reply(thinking="deep thought", content="partial words here", hold_after=4)
    arrived = asyncio.Event()

    async def script(app: ChatApp) -> None:
        task = asyncio.create_task(app.send("go"))
        await asyncio.wait_for(arrived.wait(), 10)  # the client has shown answer text
        assert app.interrupt()
        await task

    app, printed = run_app(fake_server, tmp_path, script, arrived)
    assert fake_server.wait_for_disconnect(5)
    last = app.conversation.messages[-1]
    assert last.interrupted and last.error is None
    assert last.thinking == "deep thought"
    assert "[interrupted]" in printed


def test_app_corrupt_database_chat_still_works_unsaved(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    (tmp_path / "sessions.db").write_bytes(b"this is not a database at all" * 100)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OLLAMA", "TERMCHAT"))}
    env["TERMCHAT_HOME"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "termchat", "--host", fake_server.url, "-m", "qwen3", "-p", "hi"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert "You said: hi" in result.stdout
    assert str(tmp_path / "sessions.db") in result.stderr
    assert "not being saved" in result.stderr
    assert "Traceback" not in result.stderr


def test_app_sigterm_mid_stream_saves_partial(fake_server: FakeServer, tmp_path: Path) -> None:
    fake_server.queue_reply(content="words before the signal and after", hold_after=3)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OLLAMA", "TERMCHAT"))}
    env["TERMCHAT_HOME"] = str(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "termchat", "--host", fake_server.url, "-m", "llama3.2", "-p", "x"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    try:
        assert fake_server.holding.wait(20)
        assert process.stdout is not None
        assert process.stdout.read(5) == b"words"  # the client has shown the first piece
        process.send_signal(signal.SIGTERM)
        process.wait(20)
    finally:
        if process.poll() is None:
            process.kill()
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        process.stderr.close()
    assert process.returncode == 128 + signal.SIGTERM
    with SessionStore.open(tmp_path / "sessions.db") as store:
        session = store.latest_session()
        assert session is not None
        messages = store.load_messages(session.id)
        assert [m.role for m in messages] == ["user", "assistant"]
        assert messages[1].interrupted
        assert messages[1].content.startswith("words")


def test_app_pull_shows_progress_and_unknown_model_error(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.add_model("mistral", capabilities=["completion", "tools"], installed=False)

    async def script(app: ChatApp) -> None:
        await run_command(app, "/pull mistral")
        await run_command(app, "/pull nosuchmodel")
        await run_command(app, "/model mistral")
        assert app.conversation.model == "mistral"

    _, printed = run_app(fake_server, tmp_path, script)
    assert "pulling manifest" in printed
    assert re.search(r"pulled [0-9a-f]{12} · 1\.0 GB · ", printed)  # each finished layer
    assert "Pulled mistral." in printed
    folded = " ".join(printed.split())
    assert (
        "nosuchmodel is not in the Ollama registry (pull model manifest: file does not exist)"
        in folded
    )
    assert printed.count("pulling manifest") == 2


def test_app_interrupted_tool_leaves_no_call_unanswered(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    started = asyncio.Event()

    async def slow(arguments: dict[str, Any]) -> str:
        started.set()
        await asyncio.sleep(60)
        return "never"

    tool = Tool("slow", "Sleeps.", {"type": "object", "properties": {}}, slow, policy="allow")
    fake_server.queue_reply(
        tool_calls=[{"name": "slow", "arguments": {}}, {"name": "slow", "arguments": {}}]
    )

    async def script(app: ChatApp) -> None:
        task = asyncio.create_task(app.send("go"))
        await asyncio.wait_for(started.wait(), 10)
        assert app.interrupt()
        await task
        roles = [m.role for m in app.conversation.messages]
        assert roles == ["user", "assistant", "tool", "tool"]
        assert app.conversation.unanswered_calls() == []
        await app.send("next")  # the history is one the server accepts

    toolbox = Toolbox(ToolRegistry([tool]), ApprovalState())
    _, printed = run_app(fake_server, tmp_path, script, tools=toolbox)
    assert "[interrupted]" in printed
    history = fake_server.last_chat()["messages"]
    assert [m["role"] for m in history] == ["user", "assistant", "tool", "tool", "user"]
    assert "interrupted" in history[2]["content"]
    assert "not run" in history[3]["content"]


def test_app_ctrl_c_before_first_token_keeps_no_empty_reply(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.queue_reply(content="late", hold_after=0)

    async def script(app: ChatApp) -> None:
        task = asyncio.create_task(app.send("hello"))
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(None, fake_server.holding.wait, 10)
        assert app.interrupt()
        await task
        assert [m.role for m in app.conversation.messages] == ["user"]

    _, printed = run_app(fake_server, tmp_path, script)
    assert "/retry sends it again" in printed


def test_app_tools_enable_a_builtin_that_was_not_named(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    async def script(app: ChatApp) -> None:
        await app.send("hi")
        await run_command(app, "/tools enable calculator")
        await app.send('call calculator {"expression": "6*7"}')

    toolbox = build_toolbox(Config(), interactive=False, assume_yes=False)
    _, printed = run_app(fake_server, tmp_path, script, tools=toolbox)
    first, *_, last = fake_server.chat_requests()
    assert "tools" not in first  # nothing enabled: nothing offered
    assert [t["function"]["name"] for t in last["tools"]] == ["calculator"]
    assert last["messages"][-1] == {"role": "tool", "content": "42", "tool_name": "calculator"}
    assert "calculator: enabled" in printed


def test_app_resume_of_a_long_conversation_shows_only_the_recent_turns(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    from termchat.commands.session import REPLAY_LIMIT, resume
    from termchat.messages import Message

    with SessionStore.open(tmp_path / "sessions.db") as store:
        session = store.create_session("qwen3")
        for index in range(100):
            store.append_message(session.id, Message("user", f"question number {index}"))
            store.append_message(
                session.id, Message("assistant", f"answer {index}", thinking=f"why {index}")
            )

    async def script(app: ChatApp) -> None:
        resume(app, session.id)
        assert len(app.conversation.messages) == 200  # the whole history goes back
        await run_command(app, "/thinking 100")

    _, printed = run_app(fake_server, tmp_path, script)
    assert f"… {200 - REPLAY_LIMIT} earlier messages not shown" in printed
    assert "question number 99" in printed and "question number 0\n" not in printed
    assert "(/thinking 100 to show)" in printed  # numbering counts the hidden replies
    assert "why 99" in printed


def test_app_keep_alive_from_config_is_sent(fake_server: FakeServer, tmp_path: Path) -> None:
    async def script(app: ChatApp) -> None:
        await app.send("hi")

    run_app(fake_server, tmp_path, script, keep_alive="30m")
    assert fake_server.last_chat()["keep_alive"] == "30m"


# --- tool output at the seam: the loop, the renderer and the store together -------------------


class Answers(PlainFrontend):
    """A user at the REPL who gives these approval answers, in order."""

    def __init__(self, *answers: ApprovalAnswer) -> None:
        super().__init__()
        self.answers = list(answers)
        self.offered_always: list[bool] = []

    async def approve(self, call: ToolCall, *, offer_always: bool) -> ApprovalAnswer | None:
        self.offered_always.append(offer_always)
        return self.answers.pop(0)


def lines_tool(count: int) -> Tool:
    async def lines(arguments: dict[str, Any]) -> str:
        return "\n".join(f"row {i}" for i in range(1, count + 1))

    return Tool("lines", "Rows.", {"type": "object", "properties": {}}, lines, policy="ask")


def toolbox(tool: Tool) -> Toolbox:
    return Toolbox(ToolRegistry([tool]), ApprovalState())


def panel(printed: str, title: str) -> list[str]:
    """The lines of the first panel whose top border carries `title`."""
    lines = printed.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("╭") and title in line)
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("╰"))
    return lines[start : end + 1]


@pytest.mark.parametrize(
    ("count", "note"),
    [
        pytest.param(30, "… 10 more lines", id="ten-hidden"),
        pytest.param(21, "… 1 more line ", id="one-hidden-singular"),
        pytest.param(20, None, id="nothing-hidden"),
    ],
)
def test_app_tool_result_says_how_many_lines_were_hidden(
    fake_server: FakeServer, tmp_path: Path, count: int, note: str | None
) -> None:
    fake_server.queue_reply(tool_calls=[{"name": "lines", "arguments": {}}])
    fake_server.queue_reply(content="Done.")

    async def script(app: ChatApp) -> None:
        await app.send("go")

    tools, user = toolbox(lines_tool(count)), Answers(ApprovalAnswer("once"))
    _, printed = run_app(fake_server, tmp_path, script, tools=tools, frontend=user)
    shown = "\n".join(panel(printed, "↳ lines"))
    assert "row 20" in shown and f"row {min(count, 21)}" not in shown.replace("row 20", "")
    if note is None:
        assert "more line" not in shown and "shortened" not in shown
    else:
        assert note in shown + " "
    # The model always gets all of it.
    assert fake_server.last_chat()["messages"][-1]["content"].count("row ") == count


def test_app_edited_call_short_result_has_no_shortened_note(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    from termchat.tools.policy import ApprovalAnswer

    async def echo(arguments: dict[str, Any]) -> str:
        return str(arguments["text"])

    schema = {"type": "object", "properties": {"text": {"type": "string"}}}
    tool = Tool("echo", "Echo.", schema, echo, policy="ask")
    fake_server.queue_reply(tool_calls=[{"name": "echo", "arguments": {"text": "a"}}])
    fake_server.queue_reply(content="Done.")

    async def script(app: ChatApp) -> None:
        await app.send("go")

    user = Answers(ApprovalAnswer("edit", arguments={"text": "b"}))
    _, printed = run_app(fake_server, tmp_path, script, tools=toolbox(tool), frontend=user)
    shown = "\n".join(panel(printed, "↳ echo"))
    assert "edited the arguments" in shown and "b" in shown
    assert "shortened" not in shown and "more line" not in shown


def test_app_tool_result_looks_the_same_live_and_resumed(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.queue_reply(tool_calls=[{"name": "lines", "arguments": {}}])
    fake_server.queue_reply(content="Done.")

    async def live(app: ChatApp) -> None:
        await app.send("go")

    tools, user = toolbox(lines_tool(30)), Answers(ApprovalAnswer("once"))
    _, printed_live = run_app(fake_server, tmp_path, live, tools=tools, frontend=user)

    async def resumed(app: ChatApp) -> None:
        from termchat.commands.session import resume

        latest = app.session.latest()
        assert latest is not None
        resume(app, latest.id)

    _, printed_resumed = run_app(fake_server, tmp_path, resumed)
    assert panel(printed_live, "↳ lines") == panel(printed_resumed, "↳ lines")


def test_app_tools_table_shows_an_always_answer(fake_server: FakeServer, tmp_path: Path) -> None:
    fake_server.queue_reply(tool_calls=[{"name": "lines", "arguments": {}}])
    fake_server.queue_reply(content="Done.")

    async def script(app: ChatApp) -> None:
        await run_command(app, "/tools")
        await app.send("go")
        await run_command(app, "/tools")

    tools, user = toolbox(lines_tool(1)), Answers(ApprovalAnswer("always"))
    _, printed = run_app(fake_server, tmp_path, script, tools=tools, frontend=user)
    before, after = [line for line in printed.splitlines() if line.strip().startswith("lines ")]
    assert " ask " in before
    assert " ask " not in after and "allow (always" in after


class Persistent(Answers):
    """Allows every call; at each chain limit says `go_on` and remembers when it was asked."""

    def __init__(self, go_on: bool) -> None:
        super().__init__()
        self.go_on = go_on
        self.asked_at: list[int] = []

    async def confirm_more(self, rounds: int) -> bool:
        self.asked_at.append(rounds)
        return self.go_on


@pytest.mark.parametrize("go_on", [True, False])
def test_app_chain_limit_asks_the_frontend(
    fake_server: FakeServer, tmp_path: Path, go_on: bool
) -> None:
    for _ in range(3):
        fake_server.queue_reply(tool_calls=[{"name": "lines", "arguments": {}}])
    fake_server.queue_reply(content="Done.")
    tool = dataclasses.replace(lines_tool(1), policy="allow")
    tools = Toolbox(ToolRegistry([tool]), ApprovalState(), chain_limit=2)
    user = Persistent(go_on)

    async def script(app: ChatApp) -> None:
        await app.send("go")

    app, printed = run_app(fake_server, tmp_path, script, tools=tools, frontend=user)
    assert user.asked_at == [2]
    roles = [m.role for m in app.conversation.messages]
    if go_on:
        assert roles == ["user", *["assistant", "tool"] * 3, "assistant"]
        assert app.conversation.messages[-1].content == "Done."
    else:
        assert roles == ["user", *["assistant", "tool"] * 2]
        assert "Stopped after 2 rounds of tool calls" in printed
    assert user.offered_always == []  # an allowed tool is never asked about
