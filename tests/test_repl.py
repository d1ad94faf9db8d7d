"""The REPL in-process: the real Repl, built as launch.py builds it (ChatApp + ReplFrontend +
Repl), typed at through prompt_toolkit's pipe input, against the loopback fake server and a real
SQLite file. Fences, newlines, `//`, unknown commands, Tab completion, type-ahead and leaving."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fakeserver import FakeServer
from prompt_toolkit.application import create_app_session
from prompt_toolkit.application.current import get_app_or_none
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.input.base import PipeInput
from prompt_toolkit.output import DummyOutput

from termchat.app import ChatApp
from termchat.config import Config
from termchat.launch import make_backend
from termchat.render import Renderer
from termchat.repl.frontend import ReplFrontend
from termchat.repl.loop import Repl
from termchat.session import session_for
from termchat.store import SessionStore


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until `condition` holds, looking at each turn of the loop (never a fixed sleep)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


@dataclass
class Running:
    """A Repl running in this process: type at it through `pipe`, read what it printed."""

    pipe: PipeInput
    app: ChatApp
    repl: Repl
    out: io.StringIO
    task: asyncio.Task[int]
    server: FakeServer

    def type(self, text: str) -> None:
        """Type keys as a user would (\\r is Enter)."""
        self.pipe.send_text(text)

    def printed(self) -> str:
        """What the chat printed so far, whitespace folded (rich wraps lines)."""
        return " ".join(self.out.getvalue().split())

    def buffer(self) -> str:
        """The text in the prompt's input line."""
        return self.repl.session.default_buffer.text

    def at_prompt(self) -> bool:
        """True while the prompt waits for input (no turn or command runs)."""
        return self.repl.session.app.is_running and self.repl._task is None

    def toolbar(self) -> str:
        """The bottom toolbar's text."""
        toolbar = self.repl.session.bottom_toolbar
        assert callable(toolbar)
        return "".join(part[1] for part in toolbar())

    def sent(self) -> list[str]:
        """The content of the last user message of each chat request, in order."""
        return [body["messages"][-1]["content"] for body in self.server.chat_requests()]

    async def prompt(self) -> None:
        """Wait until the prompt is back."""
        await until(self.at_prompt)

    async def requests(self, count: int) -> None:
        """Wait until `count` chat requests arrived and their turns ended (back at the prompt)."""
        await until(lambda: len(self.server.chat_requests()) >= count and self.at_prompt())

    async def exit_code(self) -> int:
        """The status Repl.run returned."""
        return await asyncio.wait_for(self.task, 5)


Scenario = Callable[[Running], Awaitable[None]]


def run_repl(fake_server: FakeServer, scenario: Scenario, **config: Any) -> None:
    """Build the REPL as launch.py does and run `scenario` against it at the first prompt."""

    async def main() -> None:
        out = io.StringIO()
        with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
            cfg = Config(host=fake_server.url, host_given=True, **{"model": "qwen3", **config})
            backend = make_backend(cfg)
            renderer = Renderer(out, width=100, force_terminal=False)
            session = session_for(cfg, renderer.warning)
            frontend = ReplFrontend()
            app = ChatApp(cfg, backend, renderer, session, frontend=frontend)
            repl = Repl(app, frontend, cfg.history_file)
            task = asyncio.create_task(repl.run())
            running = Running(pipe, app, repl, out, task, fake_server)
            try:
                await running.prompt()
                await scenario(running)
            finally:
                if not task.done():
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
                await backend.aclose()
                session.close()

    asyncio.run(main())


# --- what is sent --------------------------------------------------------------------------


def test_repl_fenced_block_is_one_message_without_the_fences(fake_server: FakeServer) -> None:
    async def scenario(r: Running) -> None:
        r.type('"""\r')
        await until(lambda: r.buffer() == '"""\n')  # Enter inside a fence adds a line
        r.type("alpha\r\r  indented\r")
        await until(lambda: r.buffer() == '"""\nalpha\n\n  indented\n')
        assert r.server.chat_requests() == []  # nothing is sent while the fence is open
        r.type('"""\r')
        await r.requests(1)
        assert r.sent() == ["alpha\n\n  indented"]
        assert r.buffer() == ""

    run_repl(fake_server, scenario)


def test_repl_alt_enter_and_ctrl_j_add_lines(fake_server: FakeServer) -> None:
    async def scenario(r: Running) -> None:
        r.type("one\x1b\r")  # Alt-Enter (Esc Enter)
        await until(lambda: r.buffer() == "one\n")
        r.type("two\n")  # Ctrl-J
        await until(lambda: r.buffer() == "one\ntwo\n")
        r.type("three\r")
        await r.requests(1)
        assert r.sent() == ["one\ntwo\nthree"]

    run_repl(fake_server, scenario)


def test_repl_double_slash_is_sent_with_one_slash(fake_server: FakeServer) -> None:
    async def scenario(r: Running) -> None:
        r.type("//etc/hosts is a file\r")
        await r.requests(1)
        assert r.sent() == ["/etc/hosts is a file"]

    run_repl(fake_server, scenario)


def test_repl_unknown_command_is_said_and_not_sent(fake_server: FakeServer) -> None:
    async def scenario(r: Running) -> None:
        r.type("/modle llama3.2\r")
        await until(lambda: "Did you mean /model?" in r.printed())
        await r.prompt()
        r.type("hello\r")  # the REPL goes on; only this line reaches the server
        await r.requests(1)
        assert r.sent() == ["hello"]
        assert r.server.last_chat()["model"] == "qwen3"

    run_repl(fake_server, scenario)


# --- Tab completion -------------------------------------------------------------------------


def test_repl_tab_completes_a_command_name(fake_server: FakeServer) -> None:
    async def scenario(r: Running) -> None:
        r.type("/incog\t")
        await until(lambda: r.buffer() == "/incognito")
        assert r.app.session.saving
        r.type("\r")
        await until(lambda: not r.app.session.saving)
        await r.prompt()
        assert "not saved" in r.toolbar()

    run_repl(fake_server, scenario)


def test_repl_tab_completes_think_levels(fake_server: FakeServer) -> None:
    async def scenario(r: Running) -> None:
        r.type("/think hi\t")
        await until(lambda: r.buffer() == "/think high")
        r.type("\r")
        await until(lambda: "Thinking: high" in r.printed())
        await r.prompt()
        r.type("why?\r")
        await r.requests(1)
        assert r.server.last_chat()["think"] == "high"

    run_repl(fake_server, scenario)


def test_repl_tab_completes_model_names_from_the_server(fake_server: FakeServer) -> None:
    async def scenario(r: Running) -> None:
        await until(lambda: bool(r.app.models_cache))  # the list loads in the background
        r.type("/model gem\t")
        await until(lambda: r.buffer() == "/model gemma3:latest")
        r.type("\r")
        await until(lambda: "Model: gemma3:latest" in r.printed())
        await r.prompt()
        r.type("hi\r")
        await r.requests(1)
        assert r.server.last_chat()["model"] == "gemma3:latest"

    run_repl(fake_server, scenario)


# --- type-ahead ------------------------------------------------------------------------------


def test_repl_typeahead_line_runs_next_and_unfinished_line_waits(fake_server: FakeServer) -> None:
    async def scenario(r: Running) -> None:
        fake_server.queue_reply(content="A slow answer.", hold_after=2)
        r.type("first\r")
        await until(fake_server.holding.is_set)
        r.type("second\rnext quest")  # typed while the reply streams
        await until(lambda: r.repl.typeahead == "second\rnext quest")
        assert len(fake_server.chat_requests()) == 1  # nothing runs before the reply ends
        fake_server.release()
        await r.requests(2)
        assert r.sent() == ["first", "second"]
        assert "A slow answer." in r.printed()
        await until(lambda: r.buffer() == "next quest")  # waits, unsent, in the prompt
        assert len(fake_server.chat_requests()) == 2
        r.type("ion\r")
        await r.requests(3)
        assert r.sent() == ["first", "second", "next question"]

    run_repl(fake_server, scenario)


def test_repl_typeahead_command_runs_next(fake_server: FakeServer) -> None:
    async def scenario(r: Running) -> None:
        fake_server.queue_reply(content="Wait for it.", hold_after=1)
        r.type("first\r")
        await until(fake_server.holding.is_set)
        r.type("/think low\r")
        await until(lambda: r.repl.typeahead == "/think low\r")
        fake_server.release()
        await until(lambda: "Thinking: low" in r.printed())
        await r.prompt()
        r.type("again\r")
        await r.requests(2)
        assert r.server.last_chat()["think"] == "low"
        assert r.sent() == ["first", "again"]  # the command itself was not sent

    run_repl(fake_server, scenario)


def test_repl_lines_typed_in_one_burst_run_in_the_order_typed(fake_server: FakeServer) -> None:
    async def scenario(r: Running) -> None:
        fake_server.queue_reply(content="Slow.", hold_after=1)
        r.type("first\rsecond\r")  # one read: the prompt takes "first", the rest waits
        await until(fake_server.holding.is_set)
        r.type("third\r")  # typed while the reply streams, after "second"
        await until(lambda: r.repl.typeahead.endswith("third\r"))
        fake_server.release()
        await r.requests(3)
        assert r.sent() == ["first", "second", "third"]

    run_repl(fake_server, scenario)


def test_repl_ctrl_c_in_the_burst_of_enter_stops_the_turn_and_keeps_the_message(
    fake_server: FakeServer,
) -> None:
    async def scenario(r: Running) -> None:
        r.type("first\r\x03")  # Enter, then Ctrl-C at once: stop, but do not lose it
        await until(lambda: "[interrupted]" in r.printed())
        await r.prompt()
        assert [m.content for m in r.app.conversation.messages] == ["first"]
        assert r.buffer() == ""
        r.type("/retry\r")
        await until(lambda: "You said: first" in r.printed())
        assert r.sent()[-1] == "first"

    run_repl(fake_server, scenario)


def test_repl_a_dialog_opened_by_a_command_gets_the_keys(fake_server: FakeServer) -> None:
    def picker_up(r: Running) -> bool:
        app = get_app_or_none()
        return app is not None and app is not r.repl.session.app and app.is_running

    async def scenario(r: Running) -> None:
        r.type("about zebras\r")
        await r.requests(1)
        r.type("/new\r")
        await until(lambda: "New conversation." in r.printed())
        await r.prompt()
        r.type("about giraffes\r")
        await r.requests(2)
        r.type("/resume\r")
        await until(lambda: picker_up(r))
        r.type("zebr\r")  # into the picker, not into the key reader of the running command
        await until(lambda: "Resumed “about zebras”" in r.printed())
        await r.prompt()
        assert r.repl.typeahead == "" and r.buffer() == ""
        r.type("more\r")
        await r.requests(3)
        contents = [m["content"] for m in fake_server.last_chat()["messages"]]
        assert contents[0] == "about zebras" and "about giraffes" not in contents

    run_repl(fake_server, scenario)


# --- leaving --------------------------------------------------------------------------------


def test_repl_ctrl_d_on_an_empty_line_exits_zero(fake_server: FakeServer) -> None:
    async def scenario(r: Running) -> None:
        r.type("ab\x04")  # on a non-empty line Ctrl-D does not leave
        await until(lambda: r.buffer() == "ab")
        assert not r.task.done()
        r.type("\x7f\x7f")
        await until(lambda: r.buffer() == "")
        r.type("\x04")
        assert await r.exit_code() == 0
        assert fake_server.chat_requests() == []

    run_repl(fake_server, scenario)


@pytest.mark.parametrize("line", ["/exit", "/quit", "/q"])
def test_repl_exit_command_leaves(fake_server: FakeServer, line: str) -> None:
    async def scenario(r: Running) -> None:
        r.type("hello\r")
        await r.requests(1)
        r.type(line + "\r")
        assert await r.exit_code() == 0
        assert r.sent() == ["hello"]

    run_repl(fake_server, scenario)


# --- saving (the real SQLite file) -----------------------------------------------------------


def test_repl_saves_what_is_said_and_not_what_is_said_incognito(fake_server: FakeServer) -> None:
    database: list[Any] = []

    async def scenario(r: Running) -> None:
        database.append(r.app.session.database)
        r.type("kept\r")
        await r.requests(1)
        r.type("/incognito\r")
        await until(lambda: "Incognito" in r.printed())
        await r.prompt()
        r.type("private\r")
        await r.requests(2)
        r.type("\x04")
        assert await r.exit_code() == 0

    run_repl(fake_server, scenario)
    with SessionStore.open(database[0]) as store:
        (summary,) = store.list_sessions()
        contents = [row.message.content for row in store.load_rows(summary.id)]
    assert contents[0] == "kept" and len(contents) == 2
    assert not any("private" in text for text in contents)
