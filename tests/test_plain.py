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
