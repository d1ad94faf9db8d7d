"""The REPL's frontend in-process (prompt_toolkit pipe input): dialogs take the keyboard from
the streaming key reader and give it back; and the REPL's pure parts (prompt label, toolbar,
pastes, picker lines)."""

from __future__ import annotations

import asyncio
import time
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
from termchat.repl.paste import Pastes, normalize
from termchat.repl.picker import count, entry_lines, when
from termchat.repl.toolbar import prompt_label, toolbar
from termchat.store import SessionSummary

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


# --- pure parts: the prompt label, the toolbar, pastes, the picker's lines -----------------


@pytest.mark.parametrize(
    ("model", "columns", "label"),
    [
        pytest.param("qwen3", 80, "qwen3", id="short"),
        pytest.param("qwen3:latest", 80, "qwen3", id="latest-dropped"),
        pytest.param("qwen3:8b", 80, "qwen3:8b", id="size-kept"),
        pytest.param("llama3.1:8b-instruct-q4_K_M", 80, "llama3.1:8b-instruct", id="ollama-quant"),
        pytest.param("hf.co/unsloth/Qwen3-8B-GGUF:Q4_K_M", 80, "Qwen3-8B", id="hf-gguf"),
        pytest.param("Qwen/Qwen3-8B", 80, "Qwen3-8B", id="vllm-path"),
        pytest.param(
            "hf.co/unsloth/Qwen3-30B-A3B-Instruct-2507-GGUF:IQ2_XXS",
            60,
            "Qwen3-30B-A3B-Instr…",
            id="cut-to-a-third",
        ),
        pytest.param("a-very-long-model-name-indeed", 12, "a-very-…", id="at-least-8"),
        pytest.param("evil\x1b[31m:bf16", 80, "evil", id="sanitized"),
        pytest.param(None, 80, "no model", id="none"),
    ],
)
def test_prompt_label_is_short(model: str | None, columns: int, label: str) -> None:
    assert prompt_label(model, columns) == label


def text_of(fragments: list[tuple[str, str]]) -> str:
    return "".join(text for _, text in fragments)


BAR = {
    "model": "qwen3",
    "problem": None,
    "thinking": "thinking: on, shown",
    "can_think": True,
    "shown": True,
    "saving": True,
}


@pytest.mark.parametrize(
    ("changes", "width", "expected"),
    [
        pytest.param(
            {}, 200, " qwen3 │ thinking: on, shown │ ^T hide thinking  ^D quit  /help ", id="200"
        ),
        pytest.param({}, 60, " qwen3 │ thinking: on, shown │ ^T hide thinking  /help ", id="60"),
        pytest.param({}, 40, " qwen3 │ thinking: on, shown │ /help ", id="40"),
        pytest.param({}, 20, " qwen3 │ /help ", id="20"),
        pytest.param(
            {"saving": False}, 40, " qwen3 │ not saved │ ^T hide thinking ", id="not-saved-stays"
        ),
        pytest.param(
            {"problem": "server unreachable", "saving": False},
            40,
            " qwen3 │ server unreachable │ not saved ",
            id="problem-stays",
        ),
        pytest.param(
            {"can_think": False, "thinking": "thinking: n/a"},
            80,
            " qwen3 │ thinking: n/a │ ^D quit  /help ",
            id="no-ctrl-t-without-thinking",
        ),
        pytest.param(
            {"model": "hf.co/unsloth/Qwen3-30B-A3B-Instruct-2507-GGUF:Q4_K_M"},
            30,
            " hf.co/unsloth/Qwen3-30B-A3B… ",
            id="model-alone-cut",
        ),
    ],
)
def test_toolbar_drops_the_least_important_parts_first(
    changes: dict[str, object], width: int, expected: str
) -> None:
    fragments = toolbar(**{**BAR, **changes, "width": width})  # type: ignore[arg-type]
    assert text_of(fragments) == expected
    assert len(expected) <= width


def test_pastes_collapse_large_ones_and_expand_each() -> None:
    pastes = Pastes()
    small = "one\ntwo"
    assert pastes.collapse(small) == small
    big = "\n".join(f"line {n}" for n in range(300))
    other = "\n".join(f"other {n}" for n in range(300))
    assert pastes.collapse(big) == "[pasted 300 lines]"
    assert pastes.collapse(other) == "[pasted 300 lines #2]"
    assert pastes.collapse("x" * 5000) == "[pasted 5000 characters]"
    typed = "see [pasted 300 lines] and [pasted 300 lines #2]"
    assert pastes.expand(typed) == f"see {big} and {other}"
    assert pastes.expand(typed) == typed  # sent: forgotten
    assert pastes.expand("[pasted 5000 characters]") == "x" * 5000
    pastes.collapse(big)
    pastes.clear()
    assert pastes.expand("[pasted 300 lines]") == "[pasted 300 lines]"
    assert normalize("a\r\nb\rc") == "a\nb\nc"


def summary(title: str, model: str, messages: int) -> SessionSummary:
    now = time.time()
    return SessionSummary("abcd1234", title, model, now, now, messages)


@pytest.mark.parametrize("width", [40, 80, 200])
def test_picker_lines_fit_and_count_messages(width: int) -> None:
    rows = [
        summary("a rather long title about zebras and giraffes", "qwen3", 12),
        summary("short\x1b]52;c;evil\x07 one\nsecond line", "gemma3", 1),
    ]
    lines = entry_lines(rows, width)
    assert all(len(line) + 2 <= width - 1 for line in lines)
    assert lines[0].endswith(" 12 msgs") and lines[1].endswith("  1 msg")
    assert "short one" in lines[1] and "\x1b" not in lines[1] and "evil" not in lines[1]
    assert "gemma3" in lines[1]
    assert (":" in lines[0][:12]) == (width >= 80)  # the time goes first when short of room
    assert len(when(0)) == 12 and len(when(0, short=True)) == 6
    assert count(1) == "1 msg" and count(2) == "2 msgs"
