"""The REPL's frontend in-process (prompt_toolkit pipe input): dialogs take the keyboard from
the streaming key reader and give it back."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.application.current import get_app_or_none
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.input.base import PipeInput
from prompt_toolkit.key_binding.key_processor import KeyPress
from prompt_toolkit.output import DummyOutput

from termchat.messages import ToolCall
from termchat.repl.frontend import ReplFrontend

T = TypeVar("T")


async def until(condition: Callable[[], bool]) -> None:
    """Wait (at most 5 s) until `condition` holds, looking at each turn of the loop."""
    async with asyncio.timeout(5):
        while not condition():
            await asyncio.sleep(0.005)


def dialog_up() -> bool:
    app = get_app_or_none()
    return app is not None and app.is_running


async def answered(dialog: Awaitable[T], pipe: PipeInput, keys: str) -> T:
    """Start the dialog, type `keys` once it shows, return its answer."""
    task = asyncio.ensure_future(dialog)
    await until(dialog_up)
    pipe.send_text(keys)
    return await asyncio.wait_for(task, 5)


def run_with_reader(
    scenario: Callable[[ReplFrontend, PipeInput, list[str]], Awaitable[None]],
) -> None:
    """Run `scenario` with a frontend whose streaming key reader is attached (a turn runs)."""

    async def main() -> None:
        with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
            frontend = ReplFrontend(pipe)
            streamed: list[str] = []

            def on_key(press: KeyPress) -> None:
                streamed.append(press.data)

            frontend.keys.attach(on_key)
            try:
                pipe.send_text("x")
                await until(lambda: streamed == ["x"])
                await scenario(frontend, pipe, streamed)
                pipe.send_text("z")  # the reader has the keyboard again
                await until(lambda: streamed[-1:] == ["z"])
            finally:
                frontend.keys.detach()
            assert [key for key in streamed if key not in "xz"] == []  # no dialog key leaked

    asyncio.run(main())


@pytest.mark.parametrize(
    ("offer_always", "typed", "kind"),
    [
        pytest.param(True, "a", "always", id="always"),
        pytest.param(False, "ay", "once", id="no-always-for-run_shell"),
        pytest.param(True, "y", "once", id="once"),
    ],
)
def test_repl_frontend_approve_takes_the_keys_from_the_reader(
    offer_always: bool, typed: str, kind: str
) -> None:
    async def scenario(frontend: ReplFrontend, pipe: PipeInput, streamed: list[str]) -> None:
        call = ToolCall("run_shell", {"command": "ls"})
        answer = await answered(frontend.approve(call, offer_always=offer_always), pipe, typed)
        assert answer is not None and answer.kind == kind

    run_with_reader(scenario)


def test_repl_frontend_confirm_more_takes_the_keys_from_the_reader() -> None:
    async def scenario(frontend: ReplFrontend, pipe: PipeInput, streamed: list[str]) -> None:
        assert await answered(frontend.confirm_more(10), pipe, "y") is True
        assert await answered(frontend.confirm_more(20), pipe, "n") is False

    run_with_reader(scenario)


def test_repl_frontend_changed_redraws_a_running_prompt() -> None:
    async def scenario(frontend: ReplFrontend, pipe: PipeInput, streamed: list[str]) -> None:
        task = asyncio.ensure_future(frontend.confirm_more(10))
        await until(dialog_up)
        app = get_app_or_none()
        assert app is not None
        redraws = app.render_counter
        frontend.changed()
        await until(lambda: app.render_counter > redraws)
        pipe.send_text("n")
        assert await asyncio.wait_for(task, 5) is False

    run_with_reader(scenario)
    ReplFrontend().changed()  # with no prompt running there is nothing to redraw
