"""Tests for pipe output: the streaming sanitizer, plain text and JSON events."""

from __future__ import annotations

import io
import json

import pytest

from termchat.accumulator import Reply
from termchat.messages import ContentDelta, Done, Stats, ThinkingDelta, ToolCall, ToolCalls
from termchat.render.plain import JsonReply, PlainReply, StreamSanitizer

HOSTILE = (
    "ok \x1b]52;c;aGVsbG8=\x07then \x1b[2J\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\ end\nnext"
)


@pytest.mark.parametrize("cut", range(len(HOSTILE) + 1))
def test_stream_sanitizer_every_split_point(cut: int) -> None:
    clean = StreamSanitizer()
    out = clean.feed(HOSTILE[:cut]) + clean.feed(HOSTILE[cut:]) + clean.flush()
    assert out == "ok then link end\nnext"


def test_stream_sanitizer_character_by_character() -> None:
    clean = StreamSanitizer()
    out = "".join(clean.feed(ch) for ch in HOSTILE) + clean.flush()
    assert out == "ok then link end\nnext"


def test_plain_reply_streams_content_and_thinking_to_stderr() -> None:
    out, err = io.StringIO(), io.StringIO()
    view = PlainReply(out, err, show_thinking=True)
    reply = Reply()
    for event in [ThinkingDelta("think"), ContentDelta("an"), ContentDelta("swer")]:
        reply.feed(event)
        view.update(reply)
    assert out.getvalue() == "answer"
    reply.feed(Done(Stats()))
    view.finish(reply)
    assert out.getvalue() == "answer\n"
    assert err.getvalue() == "think\n"


def test_json_reply_one_object_per_event() -> None:
    out = io.StringIO()
    view = JsonReply(out)
    reply = Reply(model="qwen3")
    call = ToolCall("calculator", {"expression": "1+1"}, id="c1")
    events = [
        ThinkingDelta("a"),
        ContentDelta("b\x1b"),
        ToolCalls((call,)),
        Done(Stats(eval_count=2, eval_duration=1_000_000_000)),
    ]
    for event in events:
        reply.feed(event)
        view.update(reply)
    view.finish(reply)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["type"] for line in lines] == ["thinking", "content", "tool_call", "done"]
    assert lines[1]["text"] == "b\x1b"  # exact text in JSON
    assert lines[2]["function"]["name"] == "calculator"
    assert lines[3]["tokens_per_second"] == 2.0


def test_one_line_messages_json_tool_results_carry_what_the_model_gets(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from termchat.messages import Message
    from termchat.render import Renderer
    from termchat.render.plain import OneLineMessages

    panels = io.StringIO()
    screen = OneLineMessages(Renderer(panels, width=60), json_events=True)
    long = "\n".join(f"line {i}" for i in range(30))
    screen.tool_result(Message("tool", long, tool_name="ls", tool_call_id="c1"))
    screen.tool_result(Message("tool", "Error: boom", tool_name="ls", error="Error: boom"))
    screen.tool_result(Message("tool", "stopped", tool_name="ls", interrupted=True))
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    common = {"type": "tool_result", "name": "ls"}
    assert events == [
        {**common, "tool_call_id": "c1", "content": long, "error": False},
        {**common, "tool_call_id": None, "content": "Error: boom", "error": True},
    ]
    shown = panels.getvalue()
    assert "… 10 more lines" in shown and "line 29" not in shown and "[interrupted]" in shown
