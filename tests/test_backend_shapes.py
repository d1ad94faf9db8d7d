"""Well-formed JSON of the wrong shape, from a chat stream or a metadata answer: a clear error
or a skipped field, never a traceback, and the reply so far kept."""

from __future__ import annotations

import json
from typing import Any

import pytest
from backend_helpers import ask, assert_well_formed, chat_events, with_backend
from fakeserver import FakeServer, Script

from termchat.backends.ndjson import MALFORMED, OllamaStream
from termchat.backends.ollama import OllamaBackend
from termchat.backends.openai import OpenAIBackend
from termchat.backends.sse import OpenAIStream
from termchat.errors import ProtocolError
from termchat.messages import ContentDelta, Done, Event, StreamError, ToolCall, ToolCalls

HUGE = 10**30


def ollama_run(*records: Any) -> list[Event]:
    data = b"".join(json.dumps(r).encode() + b"\n" for r in records)
    stream = OllamaStream()
    events = stream.feed(data) + stream.end()
    assert_well_formed(events)
    return events


def message(**fields: Any) -> dict[str, Any]:
    return {"message": {"role": "assistant", **fields}, "done": False}


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"a": value}
    return value


OK = message(content="ok")
DONE = {"done": True}


@pytest.mark.parametrize(
    ("record", "where"),
    [
        pytest.param({"message": [1, 2]}, "message is a list", id="message-list"),
        pytest.param({"message": "hi"}, "message is a string", id="message-string"),
        pytest.param(message(content=5), "message.content is a number", id="content-number"),
        pytest.param(message(thinking=["a"]), "message.thinking is a list", id="thinking-list"),
        pytest.param(message(tool_calls="x"), "message.tool_calls is a string", id="calls-str"),
        pytest.param(message(tool_calls={"a": 1}), "tool_calls is an object", id="calls-object"),
        pytest.param(message(tool_calls=[5]), "tool_calls[0] is a number", id="call-number"),
        pytest.param(
            message(tool_calls=[{"function": True}]),
            "tool_calls[0].function is true",
            id="function-true",
        ),
        pytest.param(
            message(tool_calls=[{"function": {"name": {"a": 1}}}]),
            "function.name is an object",
            id="name-object",
        ),
        pytest.param(
            message(tool_calls=[{"function": {"name": "f", "arguments": [1]}}]),
            "function.arguments is a list",
            id="arguments-list",
        ),
        pytest.param(
            message(tool_calls=[{"function": {"name": "f", "arguments": nested(200)}}]),
            "nested deeper",
            id="arguments-too-deep",
        ),
    ],
)
def test_ollama_wrong_shape_is_a_stream_error_and_keeps_the_reply(
    record: dict[str, Any], where: str
) -> None:
    events = ollama_run(OK, record, message(content="never"), DONE)
    assert events[0] == ContentDelta("ok")
    assert len(events) == 2
    error = events[1]
    assert isinstance(error, StreamError)
    assert error.message.startswith(MALFORMED)
    assert where in error.message


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        pytest.param(message(content=None), [], id="content-null"),
        pytest.param({"message": None}, [], id="message-null"),
        pytest.param({"message": [], "done": False}, [], id="message-empty-list"),
        pytest.param({"error": None, **OK}, [ContentDelta("ok")], id="error-null"),
        pytest.param(
            message(tool_calls=[{"id": {"x": 1}, "function": {"name": "f", "index": "3"}}]),
            [ToolCalls((ToolCall("f", {}),))],
            id="id-object-and-index-string-dropped",
        ),
        pytest.param(
            message(tool_calls=[{"function": {"name": "f", "arguments": '{"a": 1}'}}]),
            [ToolCalls((ToolCall("f", {"a": 1}),))],
            id="arguments-as-json-text",
        ),
        pytest.param(
            message(tool_calls=[{"function": {"name": "f", "index": HUGE}}]),
            [ToolCalls((ToolCall("f", {}),))],
            id="index-huge",
        ),
        pytest.param(
            {"message": {"content": "a"}, "done": "yes"}, [ContentDelta("a")], id="done-str"
        ),
    ],
)
def test_ollama_harmless_odd_fields_are_skipped(
    record: dict[str, Any], expected: list[Event]
) -> None:
    events = ollama_run(record, DONE)
    assert events[:-1] == expected
    assert isinstance(events[-1], Done)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(1e300, id="1e300"),
        pytest.param(HUGE * HUGE, id="huge-int"),
        pytest.param(-5, id="negative"),
        pytest.param(True, id="bool"),
        pytest.param("12", id="string"),
        pytest.param([1], id="list"),
    ],
)
def test_ollama_absurd_figures_are_left_out(value: Any) -> None:
    final = {"done": True, "eval_count": value, "eval_duration": 1, "done_reason": {"x": 1}}
    events = ollama_run(OK, final)
    assert isinstance(events[-1], Done)
    assert events[-1].stats.eval_count is None
    assert events[-1].stats.done_reason is None


@pytest.mark.parametrize("constant", ["Infinity", "-Infinity", "NaN", "1e400"])
def test_ollama_non_finite_numbers_are_left_out(constant: str) -> None:
    data = b'{"done": true, "eval_count": %s, "eval_duration": %s}\n' % (
        constant.encode(),
        constant.encode(),
    )
    events = OllamaStream().feed(data)
    assert_well_formed(events)
    assert isinstance(events[-1], Done)
    assert events[-1].stats.eval_count is None
    assert events[-1].stats.tokens_per_second is None


def test_ollama_deeply_nested_line_is_a_stream_error() -> None:
    stream = OllamaStream()
    events = stream.feed(json.dumps(OK).encode() + b"\n" + b"[" * 100_000 + b"\n")
    assert_well_formed(events)
    assert events[0] == ContentDelta("ok")
    assert isinstance(events[-1], StreamError)
    assert "not JSON" in events[-1].message


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        pytest.param({"message": {"deep": [1]}}, '{"deep": [1]}', id="message-object"),
        pytest.param(12, "12", id="number"),
        pytest.param("", "without a message", id="empty"),
        pytest.param("line one\nline two", "line one line two", id="multi-line"),
        pytest.param("x" * 5000, "…", id="long"),
    ],
)
def test_error_records_of_any_shape_are_one_short_line(error: Any, shown: str) -> None:
    events = ollama_run(OK, {"error": error})
    assert isinstance(events[-1], StreamError)
    assert shown in events[-1].message
    assert len(events[-1].message) <= 500


# --- OpenAI SSE --------------------------------------------------------------------------------


def sse_run(*records: Any) -> list[Event]:
    data = b"".join(b"data: " + json.dumps(r).encode() + b"\n\n" for r in records)
    stream = OpenAIStream()
    events = stream.feed(data + b"data: [DONE]\n\n") + stream.end()
    assert_well_formed(events)
    return events


def delta(**fields: Any) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": fields, "finish_reason": None}]}


def fragment(**fields: Any) -> dict[str, Any]:
    return delta(tool_calls=[{"index": 0, **fields}])


SSE_OK = delta(content="ok")


@pytest.mark.parametrize(
    ("record", "where"),
    [
        pytest.param({"choices": HUGE}, "choices is a number", id="choices-huge-int"),
        pytest.param({"choices": "abc"}, "choices is a string", id="choices-string"),
        pytest.param({"choices": [5]}, "choices[0] is a number", id="choice-number"),
        pytest.param({"choices": [{"delta": [1]}]}, "choices[0].delta is a list", id="delta-list"),
        pytest.param(delta(content={"a": 1}), "delta.content is an object", id="content-object"),
        pytest.param(delta(reasoning=5), "delta.reasoning is a number", id="reasoning-number"),
        pytest.param(delta(tool_calls={"a": 1}), "tool_calls is an object", id="calls-object"),
        pytest.param(delta(tool_calls=[True]), "tool_calls[0] is true", id="fragment-true"),
        pytest.param(fragment(function=True), "function is true", id="function-true"),
        pytest.param(fragment(function={"name": 5}), "function.name is a number", id="name-num"),
        pytest.param(
            fragment(function={"name": "f", "arguments": 5}),
            "function.arguments is a number",
            id="arguments-number",
        ),
    ],
)
def test_openai_wrong_shape_is_a_stream_error_and_keeps_the_reply(
    record: dict[str, Any], where: str
) -> None:
    events = sse_run(SSE_OK, record, delta(content="never"))
    assert events[0] == ContentDelta("ok")
    assert len(events) == 2
    error = events[1]
    assert isinstance(error, StreamError)
    assert error.message.startswith(MALFORMED)
    assert where in error.message


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        pytest.param(
            [fragment(id={"x": 1}, function={"name": "f", "arguments": "{}"})],
            [ToolCalls((ToolCall("f", {}),))],
            id="id-object-dropped",
        ),
        pytest.param(
            [
                {"choices": [{"delta": {"tool_calls": [{"index": True, "id": "a"}]}}]},
                {"choices": [{"delta": {"tool_calls": [{"index": HUGE, "id": "b"}]}}]},
            ],
            [ToolCalls((ToolCall("", {}, "a"), ToolCall("", {}, "b")))],
            id="index-bool-and-huge",
        ),
        pytest.param([{"choices": [], "usage": [1]}], [], id="usage-list"),
        pytest.param([{"choices": [{"delta": None}]}], [], id="delta-null"),
        pytest.param([{"choices": None}], [], id="choices-null"),
        pytest.param(
            [{"choices": [{"index": 0, "delta": {}, "finish_reason": {"x": 1}}]}],
            [],
            id="finish-reason-object",
        ),
    ],
)
def test_openai_harmless_odd_fields_are_skipped(
    records: list[dict[str, Any]], expected: list[Event]
) -> None:
    events = sse_run(*records)
    assert events[:-1] == expected
    assert isinstance(events[-1], Done)
    assert events[-1].stats.done_reason is None


def test_openai_absurd_usage_is_left_out() -> None:
    usage = {"prompt_tokens": 1e300, "completion_tokens": HUGE * HUGE}
    events = sse_run(SSE_OK, {"choices": [], "usage": usage})
    assert isinstance(events[-1], Done)
    assert events[-1].stats.eval_count is None and events[-1].stats.prompt_eval_count is None


# --- over HTTP: the chat streams --------------------------------------------------------------


@pytest.mark.parametrize("openai", [False, True], ids=["ollama", "openai"])
def test_wrong_shape_over_http_keeps_the_partial_reply(
    fake_server: FakeServer, openai: bool
) -> None:
    if openai:
        bad = json.dumps({"choices": [{"delta": {"tool_calls": [{"function": True}]}}]})
        fake_server.queue_reply(content="Hello there", raw_line=bad, raw_after=1)
        events = chat_events(OpenAIBackend, fake_server.openai_url, ask())
    else:
        bad = json.dumps(message(tool_calls=[{"function": True}]))
        fake_server.queue_reply(content="Hello there", raw_line=bad, raw_after=1)
        events = chat_events(OllamaBackend, fake_server.url, ask())
    assert_well_formed(events)
    assert events[0] == ContentDelta("Hello")
    assert isinstance(events[-1], StreamError)
    assert "function is true" in events[-1].message


# --- metadata answers -------------------------------------------------------------------------

TAG_ROW = {"name": "good:latest", "modified_at": "2025-06-01T10:00:00+02:00", "size": 5}


def tags(server: FakeServer, body: Any) -> Any:
    server.override("/api/tags", Script(body=body))
    return with_backend(OllamaBackend, server.url, lambda backend: backend.list_models())


def test_tags_with_mixed_modified_at_types_sort_by_time(fake_server: FakeServer) -> None:
    rows = [
        {**TAG_ROW, "name": "older", "modified_at": "2025-06-01T09:30:00Z"},
        {**TAG_ROW, "name": "number", "modified_at": 1748736000},
        {**TAG_ROW, "name": "newer", "modified_at": "2025-06-01T10:00:00.123456789+02:00"},
        {**TAG_ROW, "name": "object", "modified_at": {"t": 1}},
        {**TAG_ROW, "name": "text", "modified_at": "yesterday"},
    ]
    models = tags(fake_server, {"models": rows})
    by_name = {m.name: m.modified_at for m in models}
    assert by_name["number"] is None and by_name["object"] is None and by_name["text"] is None
    # 10:00+02:00 is 08:00 UTC, before 09:30 UTC: the times compare as times, not as text.
    assert by_name["newer"] == "2025-06-01T08:00:00.123456+00:00"
    newest = max(models, key=lambda m: m.modified_at or "")
    assert newest.name == "older"


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        pytest.param({**TAG_ROW, "details": "Q4"}, ("good:latest", None, None), id="details-str"),
        pytest.param(
            {**TAG_ROW, "details": {"parameter_size": 7, "quantization_level": ["q"]}},
            ("good:latest", None, None),
            id="details-fields-wrong",
        ),
        pytest.param({**TAG_ROW, "size": "big"}, ("good:latest", None, None), id="size-text"),
        pytest.param({"model": "m:1"}, ("m:1", None, None), id="model-for-name"),
        pytest.param(
            {"name": "\ud83d\ude00-\ud83d"}, ("\U0001f600-\ufffd", None, None), id="surrogates"
        ),
    ],
)
def test_tags_bad_fields_are_left_out(
    fake_server: FakeServer, row: dict[str, Any], expected: tuple[Any, ...]
) -> None:
    (model,) = tags(fake_server, {"models": [row]})
    assert (model.name, model.parameter_size, model.quantization) == expected
    assert model.size is None or model.size == 5


@pytest.mark.parametrize(
    "rows",
    [
        pytest.param([5, "x", None, {"name": 7}, {"name": ""}, {"name": "n" * 600}], id="junk"),
    ],
)
def test_tags_rows_without_a_name_are_skipped(fake_server: FakeServer, rows: list[Any]) -> None:
    assert tags(fake_server, {"models": [*rows, TAG_ROW]})[0].name == "good:latest"
    assert len(tags(fake_server, {"models": [*rows, TAG_ROW]})) == 1


@pytest.mark.parametrize("body", [{"models": "all"}, {"models": 5}, [1, 2], "text"])
def test_tags_of_the_wrong_shape_is_one_protocol_error(fake_server: FakeServer, body: Any) -> None:
    with pytest.raises(ProtocolError) as caught:
        tags(fake_server, body)
    assert "/api/tags" in str(caught.value)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param({"details": "x", "model_info": [1], "capabilities": "tools"}, id="all-wrong"),
        pytest.param(
            {"model_info": {"general.architecture": 5, "x.context_length": 1e300}},
            id="context-absurd",
        ),
        pytest.param({"capabilities": [1, None, {"a": 1}, "tools"]}, id="capabilities-mixed"),
    ],
)
def test_show_bad_fields_are_left_out(fake_server: FakeServer, answer: dict[str, Any]) -> None:
    fake_server.override("/api/show", Script(body=answer))
    info = with_backend(OllamaBackend, fake_server.url, lambda backend: backend.show("qwen3"))
    assert info.context_length is None
    assert info.family is None
    assert info.capabilities <= {"tools"}


@pytest.mark.parametrize(
    ("line", "error"),
    [
        pytest.param({"status": 5, "total": "x", "completed": 1e300}, None, id="fields-wrong"),
        pytest.param([1], "not JSON", id="not-an-object"),
        pytest.param({"error": {"message": ["a"]}}, '["a"]', id="error-object"),
    ],
)
def test_pull_bad_lines(fake_server: FakeServer, line: Any, error: str | None) -> None:
    body = json.dumps(line) + "\n" + json.dumps({"status": "success"}) + "\n"
    fake_server.override(
        "/api/pull", Script(body=body.encode(), content_type="application/x-ndjson")
    )

    async def pull(backend: OllamaBackend) -> list[Any]:
        return [p async for p in backend.pull("qwen3")]

    if error is None:
        first, last = with_backend(OllamaBackend, fake_server.url, pull)
        assert (first.status, first.total, first.completed) == ("", None, None)
        assert last.status == "success"
    else:
        with pytest.raises(Exception) as caught:
            with_backend(OllamaBackend, fake_server.url, pull)
        assert error in str(caught.value)
        assert isinstance(caught.value, ProtocolError) or "Server error" in str(caught.value)


@pytest.mark.parametrize(
    ("body", "names"),
    [
        pytest.param({"data": [{"id": {"x": 1}}, {"id": 5}, {"id": "ok"}, 7]}, ["ok"], id="ids"),
        pytest.param({"data": [{"id": "a\ud83d"}]}, ["a\ufffd"], id="surrogate"),
    ],
)
def test_openai_models_bad_rows_are_skipped(
    fake_server: FakeServer, body: Any, names: list[str]
) -> None:
    fake_server.override("/v1/models", Script(body=body))
    models = with_backend(OpenAIBackend, fake_server.openai_url, lambda b: b.list_models())
    assert [m.name for m in models] == names
