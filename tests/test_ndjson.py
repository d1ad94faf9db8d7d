"""Pure decoding of Ollama NDJSON streams: line splitting and chunk-to-event mapping."""

from __future__ import annotations

import json
from typing import Any

import pytest

from termchat.backends.ndjson import EARLY_END, LineDecoder, OllamaStream, ollama_events
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


def decode_all(decoder: LineDecoder, chunks: list[bytes]) -> list[str]:
    lines = []
    for chunk in chunks:
        lines += decoder.decode(chunk)
    return lines + decoder.flush()


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        pytest.param([b"a\nb\n"], ["a", "b"], id="whole-lines"),
        pytest.param([b"a", b"b", b"c\nd", b"\n"], ["abc", "d"], id="split-line"),
        pytest.param([b"a\r\nb\r\n"], ["a", "b"], id="crlf"),
        pytest.param([b"a\r", b"\nb\r", b"\n"], ["a", "b"], id="crlf-split"),
        pytest.param([b"a\n\n\nb\n"], ["a", "b"], id="empty-lines-dropped"),
        pytest.param([b"tail-without-newline"], ["tail-without-newline"], id="flush-tail"),
        pytest.param([b"tail\r"], ["tail"], id="flush-tail-cr"),
        pytest.param([b""], [], id="nothing"),
        pytest.param(["é€😀\n".encode()[:3], "é€😀\n".encode()[3:]], ["é€😀"], id="utf8-split"),
        pytest.param([bytes([b]) for b in "日本語\n".encode()], ["日本語"], id="utf8-bytewise"),
        pytest.param([b"bad \xff byte\n"], ["bad \ufffd byte"], id="bad-utf8-replaced"),
    ],
)
def test_line_decoder_splits_any_chunking(chunks: list[bytes], expected: list[str]) -> None:
    assert decode_all(LineDecoder(), chunks) == expected


def test_line_decoder_keep_blank_keeps_separators() -> None:
    decoder = LineDecoder(keep_blank=True)
    assert decode_all(decoder, [b"data: 1\r\n\r\ndata: 2\n", b"\n"]) == [
        "data: 1",
        "",
        "data: 2",
        "",
    ]


def test_line_decoder_long_line_in_many_chunks() -> None:
    decoder = LineDecoder()
    line = "x" * 100_000
    data = (line + "\n").encode()
    lines = []
    for i in range(0, len(data), 7):
        lines += decoder.decode(data[i : i + 7])
    assert lines == [line]


def msg(**fields: Any) -> dict[str, Any]:
    return {
        "model": "qwen3",
        "message": {"role": "assistant", "content": "", **fields},
        "done": False,
    }


CALL = {"function": {"name": "add", "arguments": {"a": 1}}}
CALL2 = {"id": "call_2", "function": {"index": 0, "name": "mul", "arguments": {"b": 2}}}


@pytest.mark.parametrize(
    ("chunk", "expected"),
    [
        pytest.param(msg(content="Hi"), [ContentDelta("Hi")], id="content"),
        pytest.param(msg(thinking="Hmm"), [ThinkingDelta("Hmm")], id="thinking"),
        pytest.param(
            msg(thinking="so.", content="Answer"),
            [ThinkingDelta("so."), ContentDelta("Answer")],
            id="thinking-then-content",
        ),
        pytest.param(msg(), [], id="empty"),
        pytest.param({"model": "x", "done": False}, [], id="no-message"),
        pytest.param(
            msg(tool_calls=[CALL, CALL2]),
            [ToolCalls((ToolCall("add", {"a": 1}), ToolCall("mul", {"b": 2}, "call_2", 0)))],
            id="two-calls-same-index-kept",
        ),
        pytest.param(
            {
                "message": {"role": "assistant", "content": "end.", "tool_calls": [CALL]},
                "done": True,
                "done_reason": "stop",
                "eval_count": 5,
                "eval_duration": 10**9,
            },
            [
                ContentDelta("end."),
                ToolCalls((ToolCall("add", {"a": 1}),)),
                Done(Stats(done_reason="stop", eval_count=5, eval_duration=10**9)),
            ],
            id="final-with-content-and-calls",
        ),
        pytest.param({"done": True}, [Done(Stats())], id="final-without-metrics"),
        pytest.param({"error": "boom"}, [StreamError("boom")], id="error"),
        pytest.param({"error": {"message": "nested"}}, [StreamError("nested")], id="error-object"),
    ],
)
def test_ollama_events_maps_one_chunk(chunk: dict[str, Any], expected: list[Event]) -> None:
    assert ollama_events(chunk) == expected


def lines_of(*chunks: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(c).encode() + b"\n" for c in chunks)


def run(stream: OllamaStream, data: bytes, step: int | None = None) -> list[Event]:
    events: list[Event] = []
    step = step or len(data) or 1
    for i in range(0, len(data), step):
        events += stream.feed(data[i : i + step])
    return events + stream.end()


def test_ollama_stream_whole_reply_bytewise() -> None:
    data = lines_of(msg(thinking="a"), msg(content="é"), {"done": True, "eval_count": 2})
    events = run(OllamaStream(), data, step=1)
    assert events == [ThinkingDelta("a"), ContentDelta("é"), Done(Stats(eval_count=2))]


def test_ollama_stream_eof_without_done_is_an_error() -> None:
    stream = OllamaStream()
    events = run(stream, lines_of(msg(content="partial")))
    assert events == [ContentDelta("partial"), StreamError(EARLY_END)]
    assert stream.finished


def test_ollama_stream_tolerates_blank_lines_and_spaces() -> None:
    data = b"\n  \r\n" + b"  " + lines_of(msg(content="x")) + b'{"done": true}  \n'
    assert run(OllamaStream(), data) == [ContentDelta("x"), Done(Stats())]


def test_ollama_stream_final_line_without_newline_still_counts() -> None:
    data = lines_of(msg(content="x")) + json.dumps({"done": True}).encode()
    assert run(OllamaStream(), data) == [ContentDelta("x"), Done(Stats())]


def test_ollama_stream_error_line_stops_and_ignores_the_rest() -> None:
    stream = OllamaStream()
    data = lines_of(msg(content="a"), {"error": "model crashed"}, msg(content="never"))
    assert run(stream, data) == [ContentDelta("a"), StreamError("model crashed")]
    assert stream.feed(lines_of(msg(content="later"))) == []


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        pytest.param("<html>Bad Gateway</html>", "<html>Bad Gateway</html>", id="html"),
        pytest.param("[1, 2]", "[1, 2]", id="json-not-object"),
        pytest.param("x" * 200, "x" * 60 + "…", id="truncated"),
    ],
)
def test_ollama_stream_bad_line_is_a_stream_error(line: str, shown: str) -> None:
    events = run(OllamaStream(), lines_of(msg(content="ok")) + line.encode() + b"\n")
    assert events[0] == ContentDelta("ok")
    assert len(events) == 2
    error = events[1]
    assert isinstance(error, StreamError)
    assert "not JSON" in error.message
    assert repr(shown) in error.message


def test_ollama_stream_many_lines_in_one_chunk() -> None:
    data = lines_of(*[msg(content=str(i)) for i in range(1000)], {"done": True})
    events = OllamaStream().feed(data)
    assert [e.text for e in events if isinstance(e, ContentDelta)] == [str(i) for i in range(1000)]
    assert isinstance(events[-1], Done)
