"""Cut replies sent back to the model: marked, kept or dropped (the `interrupted` setting) — the
pure rule, the exact requests the fake server receives, the setting in config and /set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fakeserver import FakeServer
from test_continue import cut_by_error, run

from termchat.app import ChatApp
from termchat.commands import run_command
from termchat.config import load_config
from termchat.cutreplies import FAILED_MARK, STOPPED_MARK, Policy, prepare
from termchat.errors import ConfigError
from termchat.messages import Message, ToolCall


def user(text: str) -> Message:
    return Message(role="user", content=text)


def answer(text: str, **fields: Any) -> Message:
    return Message(role="assistant", content=text, **fields)


def wire(messages: list[Message]) -> list[dict[str, Any]]:
    return [m.to_wire() for m in messages]


HISTORY = [user("q1"), answer("half", interrupted=True), user("q2")]


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        pytest.param(
            "mark",
            [user("q1"), answer(f"half\n\n{STOPPED_MARK}"), user("q2")],
            id="mark",
        ),
        pytest.param("keep", [user("q1"), answer("half"), user("q2")], id="keep"),
        pytest.param("drop", [user("q2")], id="drop-with-its-question"),
    ],
)
def test_prepare_treats_a_cut_reply_by_policy(policy: Policy, expected: list[Message]) -> None:
    assert wire(prepare(HISTORY, policy)) == wire(expected)
    assert HISTORY[1].content == "half"  # the history itself is never changed


def test_prepare_marks_a_failed_reply_and_a_reasoning_only_one() -> None:
    history = [user("q"), answer("", thinking="hmm", interrupted=True, error="reset"), user("r")]
    assert prepare(history, "mark")[1].content == FAILED_MARK


def test_prepare_leaves_the_reply_being_continued_open() -> None:
    history = [user("q"), answer("half", interrupted=True)]
    for policy in ("mark", "drop"):
        assert wire(prepare(history, policy, open_last=True)) == wire(history)


def test_prepare_drop_in_a_tool_chain_keeps_the_chain_and_stays_well_formed() -> None:
    call = ToolCall("lines", {}, id="c1")
    history = [
        user("q"),
        answer("", tool_calls=[call]),
        Message(role="tool", content="3", tool_name="lines", tool_call_id="c1"),
        answer("The file has", interrupted=True, tool_calls=[ToolCall("more", {}, id="c2")]),
        Message(role="tool", content="not run", tool_name="more", tool_call_id="c2"),
        user("next"),
    ]
    roles = [m.role for m in prepare(history, "drop")]
    assert roles == ["user", "assistant", "tool", "user"]


# --- the requests the server receives ---------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        pytest.param(
            None,
            [
                {"role": "user", "content": "one"},
                {"role": "assistant", "content": f"Half of it\n\n{FAILED_MARK}"},
                {"role": "user", "content": "two"},
            ],
            id="default-mark",
        ),
        pytest.param(
            "keep",
            [
                {"role": "user", "content": "one"},
                {"role": "assistant", "content": "Half of it"},
                {"role": "user", "content": "two"},
            ],
            id="keep",
        ),
        pytest.param("drop", [{"role": "user", "content": "two"}], id="drop"),
    ],
)
def test_next_request_carries_the_cut_reply_as_set(
    fake_server: FakeServer, tmp_path: Path, setting: str | None, expected: list[Any]
) -> None:
    cut_by_error(fake_server, "Half of it")
    config = {} if setting is None else {"interrupted": setting}

    async def script(app: ChatApp) -> None:
        await app.send("one")
        await app.send("two")

    app, _ = run(fake_server, tmp_path, script, think=False, **config)
    assert fake_server.last_chat()["messages"] == expected
    assert app.conversation.messages[1].content == "Half of it"  # kept as it arrived


def test_next_request_marks_a_reply_the_user_stopped_on_openai(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.queue_reply(content="Half of it", done_reason="stop")

    async def script(app: ChatApp) -> None:
        await app.send("one")
        # As a reply the user stopped is kept (test_continue covers the keys themselves).
        app.conversation.messages[-1].interrupted = True
        await app.send("two")

    run(fake_server, tmp_path, script, backend="openai")
    sent = fake_server.last_chat("/v1/chat/completions")["messages"]
    assert sent[1] == {"role": "assistant", "content": f"Half of it\n\n{STOPPED_MARK}"}


def test_set_interrupted_changes_the_next_request(fake_server: FakeServer, tmp_path: Path) -> None:
    cut_by_error(fake_server, "Half of it")

    async def script(app: ChatApp) -> None:
        await app.send("one")
        await run_command(app, "/set interrupted drop")
        await run_command(app, "/set interrupted sometimes")
        await app.send("two")

    _, printed = run(fake_server, tmp_path, script, think=False)
    assert fake_server.last_chat()["messages"] == [{"role": "user", "content": "two"}]
    assert "interrupted = drop" in printed
    assert "interrupted must be mark, keep or drop, not 'sometimes'" in printed


def test_config_interrupted_is_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('interrupted = "drop"\ncontinue_mode = "ask"\n')
    config = load_config(path, environ={})
    assert config.interrupted == "drop" and config.continue_mode == "ask"
    path.write_text('interrupted = "hide"\n')
    with pytest.raises(ConfigError, match="interrupted must be mark, keep or drop"):
        load_config(path, environ={})
    path.write_text('continue_mode = "guess"\n')
    with pytest.raises(ConfigError, match="continue_mode must be auto, prefill or ask"):
        load_config(path, environ={})
