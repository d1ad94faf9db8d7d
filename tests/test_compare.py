"""/compare MODEL against the fake server: the second model gets the same question, the reply the
user picks is the active one, and the other is an alternative /alt reaches."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from fakeserver import FakeServer
from test_continue import run, stored

from termchat.app import ChatApp
from termchat.commands import run_command
from termchat.frontend import PlainFrontend


class Picker(PlainFrontend):
    """Picks option `pick` (None: cancels) and remembers what it was asked."""

    def __init__(self, pick: int | None) -> None:
        super().__init__()
        self.pick = pick
        self.asked: list[tuple[str, list[str]]] = []

    async def pick_option(self, question: str, options: Sequence[str]) -> int | None:
        self.asked.append((question, list(options)))
        return self.pick


def compare_a_with_b(
    fake_server: FakeServer, tmp_path: Path, picker: Picker, **config: Any
) -> ChatApp:
    """Ask `question` (qwen3 answers `A.`), then `/compare llama3.2` (`B.`); `picker` keeps one."""
    fake_server.queue_reply(content="A.")
    fake_server.queue_reply(content="B.")

    async def script(app: ChatApp) -> None:
        await app.send("question")
        await run_command(app, "/compare llama3.2")

    app, _ = run(fake_server, tmp_path, script, frontend=picker, **config)
    return app


@pytest.mark.parametrize(
    ("pick", "kept", "other"),
    [
        pytest.param(1, "Second model's answer.", "First model's answer.", id="second"),
        pytest.param(0, "First model's answer.", "Second model's answer.", id="first"),
        pytest.param(None, "First model's answer.", "Second model's answer.", id="cancelled"),
    ],
)
def test_compare_keeps_the_picked_reply_and_alt_reaches_the_other(
    fake_server: FakeServer, tmp_path: Path, pick: int | None, kept: str, other: str
) -> None:
    fake_server.queue_reply(content="First model's answer.")
    fake_server.queue_reply(content="Second model's answer.")
    picker = Picker(pick)
    seen: list[str] = []

    async def script(app: ChatApp) -> None:
        await app.send("question")
        await run_command(app, "/compare llama3.2")
        seen.append(app.conversation.messages[-1].content)
        seen.append(app.conversation.model)
        await run_command(app, "/alt")
        seen.append(app.conversation.messages[-1].content)

    _, printed = run(fake_server, tmp_path, script, frontend=picker)
    body = fake_server.last_chat()
    assert body["model"] == "llama3.2"
    assert body["messages"] == [{"role": "user", "content": "question"}]
    assert picker.asked == [("Keep which reply?", ["qwen3", "llama3.2"])]
    assert seen == [kept, "qwen3", other]
    # Both replies were shown, labelled, one after the other.
    first = printed.index("[1] qwen3:")
    second = printed.index("[2] llama3.2:")
    assert first < printed.index("First model's answer.", first) < second
    assert second < printed.index("Second model's answer.", second)
    rows = stored(tmp_path)
    assert [row.message.content for row in rows] == ["question", other]  # after /alt


def test_compare_records_which_model_wrote_each_reply(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    app = compare_a_with_b(fake_server, tmp_path, Picker(1))
    assert app.conversation.messages[-1].model == "llama3.2"
    assert stored(tmp_path)[-1].message.model == "llama3.2"


def test_compare_without_saving_keeps_the_first_in_memory(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    app = compare_a_with_b(fake_server, tmp_path, Picker(0), save=False)
    assert [m.content for m in app.conversation.messages] == ["question", "A."]


@pytest.mark.parametrize(
    ("line", "said"),
    [
        pytest.param("/compare", "Usage: /compare MODEL", id="no-model"),
        pytest.param("/compare nosuch", "Model 'nosuch' not found", id="unknown-model"),
    ],
)
def test_compare_mistakes_are_one_message_and_change_nothing(
    fake_server: FakeServer, tmp_path: Path, line: str, said: str
) -> None:
    fake_server.queue_reply(content="A.")

    async def script(app: ChatApp) -> None:
        await app.send("question")
        await run_command(app, line)

    app, printed = run(fake_server, tmp_path, script, frontend=Picker(1))
    assert said in printed
    assert [m.content for m in app.conversation.messages] == ["question", "A."]
    assert len(fake_server.chat_requests()) == 1


def test_compare_before_any_reply_says_so(fake_server: FakeServer, tmp_path: Path) -> None:
    async def script(app: ChatApp) -> None:
        await run_command(app, "/compare llama3.2")

    _, printed = run(fake_server, tmp_path, script, frontend=Picker(1))
    assert "Nothing to compare: the last message has no reply yet." in printed
    assert fake_server.chat_requests() == []
