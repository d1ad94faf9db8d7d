"""Pure decoding of OpenAI-compatible SSE streams: framing, deltas, tool fragments, usage."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from termchat.backends.ndjson import EARLY_END
from termchat.backends.sse import OpenAIStream, SSEDecoder
from termchat.messages import (
    ContentDelta,
    Done,
    Event,
    Stats,
    StreamError,
    ThinkingDelta,
    ToolCall,
    ToolCalls,
)


def payloads(chunks: list[bytes]) -> list[str]:
    decoder = SSEDecoder()
    out = []
    for chunk in chunks:
        out += decoder.decode(chunk)
    return out + decoder.flush()


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        pytest.param([b"data: 1\n\ndata: 2\n\n"], ["1", "2"], id="two-events"),
        pytest.param([b"data:1\n\n"], ["1"], id="no-space"),
        pytest.param([b"data:  1\n\n"], [" 1"], id="only-one-space-stripped"),
        pytest.param([b"da", b"ta: 1", b"\n", b"\n"], ["1"], id="split"),
        pytest.param([b"data: 1\r\n\r\n"], ["1"], id="crlf"),
        pytest.param([b": keep-alive\n\ndata: 1\n\n"], ["1"], id="comment"),
        pytest.param([b"event: message\nid: 7\ndata: 1\n\n"], ["1"], id="other-fields"),
        pytest.param([b"data: a\ndata: b\n\n"], ["a\nb"], id="multi-line-data"),
        pytest.param([b"\n\n\ndata: 1\n\n"], ["1"], id="extra-blank-lines"),
        pytest.param([b"data: [DONE]"], ["[DONE]"], id="flush-unterminated"),
    ],
)
def test_sse_decoder_frames_events(chunks: list[bytes], expected: list[str]) -> None:
    assert payloads(chunks) == expected


class Clock:
    """A fake nanosecond clock: each read advances one millisecond."""

    def __init__(self) -> None:
        self.now = 0

    def __call__(self) -> int:
        self.now += 1_000_000
        return self.now


def sse(*objects: Any, done: bool = True) -> bytes:
    data = b"".join(b"data: " + json.dumps(o).encode() + b"\n\n" for o in objects)
    return data + (b"data: [DONE]\n\n" if done else b"")


def delta(finish: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": fields, "finish_reason": finish}]}


def run(data: bytes, step: int | None = None, **kwargs: Any) -> list[Event]:
    stream = OpenAIStream(clock=Clock(), **kwargs)
    events: list[Event] = []
    step = step or len(data) or 1
    for i in range(0, len(data), step):
        events += stream.feed(data[i : i + step])
    return events + stream.end()


def texts(events: list[Event]) -> Iterator[tuple[str, str]]:
    for event in events:
        if isinstance(event, ThinkingDelta | ContentDelta):
            yield type(event).__name__, event.text


@pytest.mark.parametrize("field", ["reasoning", "reasoning_content"])
def test_openai_stream_reasoning_fields(field: str) -> None:
    data = sse(
        delta(role="assistant", content=""),
        delta(**{field: "Let me see."}),
        delta(**{field: " Done.", "content": "Hi"}),
        delta(content=" there"),
        delta("stop"),
    )
    events = run(data, step=5)
    assert list(texts(events)) == [
        ("ThinkingDelta", "Let me see."),
        ("ThinkingDelta", " Done."),
        ("ContentDelta", "Hi"),
        ("ContentDelta", " there"),
    ]
    assert isinstance(events[-1], Done)
    assert events[-1].stats.done_reason == "stop"


def test_openai_stream_reasoning_wins_over_reasoning_content() -> None:
    events = run(sse(delta(reasoning="a", reasoning_content="b"), delta("stop")))
    assert list(texts(events)) == [("ThinkingDelta", "a")]


def test_openai_stream_think_tags_pass_through_as_content() -> None:
    events = run(sse(delta(content="<thi"), delta(content="nk>x</think>y"), delta("stop")))
    assert list(texts(events)) == [("ContentDelta", "<thi"), ("ContentDelta", "nk>x</think>y")]


def fragment(index: int, **fields: Any) -> dict[str, Any]:
    return delta(tool_calls=[{"index": index, **fields}])


def test_openai_stream_joins_tool_fragments_per_index() -> None:
    data = sse(
        fragment(0, id="call_a", type="function", function={"name": "add", "arguments": ""}),
        fragment(0, function={"arguments": '{"a": '}),
        fragment(1, id="call_b", type="function", function={"name": "now", "arguments": ""}),
        fragment(0, function={"arguments": "1}"}),
        fragment(1, function={"arguments": "{}"}),
        delta("tool_calls"),
    )
    events = run(data, step=7)
    assert events[:-1] == [
        ToolCalls((ToolCall("add", {"a": 1}, "call_a"), ToolCall("now", {}, "call_b")))
    ]
    assert isinstance(events[-1], Done)
    assert events[-1].stats.done_reason == "tool_calls"


def test_openai_stream_unparsable_arguments_are_kept_raw() -> None:
    data = sse(
        fragment(0, id="c", function={"name": "f", "arguments": '{"a": tru'}),
        delta("tool_calls"),
    )
    assert run(data)[0] == ToolCalls((ToolCall("f", {"_raw": '{"a": tru'}, "c"),))


def test_openai_stream_tool_calls_without_finish_are_sent_at_done() -> None:
    data = sse(fragment(0, id="c", function={"name": "f", "arguments": "{}"}))
    events = run(data)
    assert events == [ToolCalls((ToolCall("f", {}, "c"),)), Done(events[-1].stats)]


def test_openai_stream_fragments_without_index() -> None:
    data = sse(
        delta(tool_calls=[{"id": "x", "function": {"name": "f", "arguments": "{"}}]),
        delta(tool_calls=[{"function": {"arguments": "}"}}]),
        delta(tool_calls=[{"id": "y", "function": {"name": "g", "arguments": "{}"}}]),
        delta("tool_calls"),
    )
    assert run(data)[0] == ToolCalls((ToolCall("f", {}, "x"), ToolCall("g", {}, "y")))


USAGE = {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(
            sse(
                delta(content="a"),
                delta(content="b"),
                delta("stop"),
                {"choices": [], "usage": USAGE},
            ),
            id="separate-chunk",
        ),
        pytest.param(
            sse(delta(content="a"), delta(content="b"), {**delta("stop"), "usage": USAGE}),
            id="on-finish-chunk",
        ),
    ],
)
def test_openai_stream_usage_and_timing(data: bytes) -> None:
    done = run(data, started_ns=0)[-1]
    assert isinstance(done, Done)
    # Clock: first token read at 1 ms, finish at 2 ms; started at 0.
    assert done.stats == Stats(
        done_reason="stop",
        total_duration=2_000_000,
        prompt_eval_count=11,
        eval_count=3,
        eval_duration=1_000_000,
    )


def test_openai_stream_without_usage_has_no_counts() -> None:
    done = run(sse(delta(content="a"), delta("length")))[-1]
    assert isinstance(done, Done)
    assert done.stats.eval_count is None
    assert done.stats.done_reason == "length"


def test_openai_stream_keepalive_comments_are_ignored() -> None:
    data = b": keep-alive\n\n" + sse(delta(content="a")).replace(b"\n\n", b"\n\n: ping\n\n", 1)
    assert list(texts(run(data))) == [("ContentDelta", "a")]


@pytest.mark.parametrize(
    ("error", "message"),
    [
        pytest.param(
            {"message": "out of memory", "type": "server_error"}, "out of memory", id="obj"
        ),
        pytest.param("plain", "plain", id="string"),
    ],
)
def test_openai_stream_error_event(error: Any, message: str) -> None:
    events = run(sse(delta(content="a"), {"error": error}, delta(content="never")))
    assert events == [ContentDelta("a"), StreamError(message)]


def test_openai_stream_eof_without_done_marker() -> None:
    events = run(sse(delta(content="a"), delta("stop"), done=False))
    assert events == [ContentDelta("a"), StreamError(EARLY_END)]


def test_openai_stream_bad_payload_is_a_stream_error() -> None:
    events = run(b"data: {not json at all\n\n")
    assert len(events) == 1
    assert isinstance(events[0], StreamError)
    assert "{not json at all" in events[0].message


def test_openai_stream_ignores_other_choices() -> None:
    data = sse({"choices": [{"index": 1, "delta": {"content": "other"}}]}, delta(content="mine"))
    assert list(texts(run(data))) == [("ContentDelta", "mine")]
