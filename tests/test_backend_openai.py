"""OpenAIBackend: message conversion, and real HTTP against the fake server's /v1 endpoints."""

from __future__ import annotations

import json
import socket
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from typing import Any, TypeVar

import backend_helpers
import pytest
from backend_helpers import ask, chat_events, text_of
from fakeserver import FakeServer

from termchat.backends.base import ChatRequest
from termchat.backends.ndjson import EARLY_END
from termchat.backends.openai import OpenAIBackend, build_openai_body, to_openai_messages
from termchat.errors import ConnectError, ModelNotFound, ServerError
from termchat.messages import (
    ContentDelta,
    Done,
    Event,
    Message,
    StreamError,
    ThinkingDelta,
    ToolCall,
    ToolCalls,
)

T = TypeVar("T")
PATH = "/v1/chat/completions"
ADD_TOOL = {"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}


def with_backend(url: str, work: Callable[[OpenAIBackend], Awaitable[T]], **kwargs: Any) -> T:
    return backend_helpers.with_backend(OpenAIBackend, url, work, **kwargs)


def chat(url: str, request: ChatRequest, **kwargs: Any) -> list[Event]:
    return chat_events(OpenAIBackend, url, request, **kwargs)


# --- conversion (pure) -----------------------------------------------------------------------


def test_messages_convert_tool_calls_and_results() -> None:
    messages = [
        Message("user", "sum things"),
        Message(
            "assistant",
            "Let me add.",
            thinking="secret reasoning",
            tool_calls=[
                ToolCall("add", {"a": 1}, id="call_abc"),
                ToolCall("add", {"a": 2}),
                ToolCall("now", {}),
            ],
        ),
        Message("tool", "1", tool_name="add", tool_call_id="call_abc"),
        Message("tool", "12:00", tool_name="now"),
        Message("tool", "2", tool_name="add"),
        Message("assistant", "Done.", thinking="more reasoning"),
    ]
    assert to_openai_messages(messages) == [
        {"role": "user", "content": "sum things"},
        {
            "role": "assistant",
            "content": "Let me add.",
            "tool_calls": [
                {
                    "id": "call_abc",
                    "type": "function",
                    "function": {"name": "add", "arguments": '{"a": 1}'},
                },
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "add", "arguments": '{"a": 2}'},
                },
                {
                    "id": "call_2",
                    "type": "function",
                    "function": {"name": "now", "arguments": "{}"},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "call_abc", "content": "1"},
        {"role": "tool", "tool_call_id": "call_2", "content": "12:00"},
        {"role": "tool", "tool_call_id": "call_1", "content": "2"},
        {"role": "assistant", "content": "Done."},
    ]


def test_generated_ids_are_stable_across_turns() -> None:
    history = [
        Message("assistant", "", tool_calls=[ToolCall("f", {})]),
        Message("tool", "r1", tool_name="f"),
    ]
    first = to_openai_messages(history)
    second = to_openai_messages([*history, *history])
    assert second[:2] == first
    assert second[2]["tool_calls"][0]["id"] == "call_2"
    assert second[3]["tool_call_id"] == "call_2"


def test_images_become_content_parts() -> None:
    png = "iVBORw0KGgo="
    [converted] = to_openai_messages([Message("user", "what is this?", images=[png])])
    assert converted["content"] == [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{png}"}},
    ]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param({}, {}, id="nothing-extra"),
        pytest.param({"think": True}, {}, id="think-not-sent"),
        pytest.param({"tools": [ADD_TOOL]}, {"tools": [ADD_TOOL]}, id="tools"),
        pytest.param(
            {"options": {"temperature": 0.1, "top_p": 0.9, "seed": 7, "stop": ["x"]}},
            {"temperature": 0.1, "top_p": 0.9, "seed": 7, "stop": ["x"]},
            id="sampling",
        ),
        pytest.param({"options": {"num_predict": 64}}, {"max_tokens": 64}, id="max-tokens"),
        pytest.param({"options": {"num_predict": -1, "num_ctx": 8192}}, {}, id="unmapped"),
        pytest.param(
            {"format": "json"}, {"response_format": {"type": "json_object"}}, id="json-mode"
        ),
        pytest.param(
            {"format": {"type": "object"}},
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "response", "schema": {"type": "object"}},
                }
            },
            id="json-schema",
        ),
    ],
)
def test_body_fields(fields: dict[str, Any], expected: dict[str, Any]) -> None:
    body = build_openai_body(ask("q", **fields))
    fixed = {
        "model": "qwen3",
        "messages": [{"role": "user", "content": "q"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    assert body == {**fixed, **expected}


# --- over HTTP -------------------------------------------------------------------------------


def test_request_reaches_v1_with_exact_json(fake_server: FakeServer) -> None:
    history = [
        Message("user", "go"),
        Message("assistant", "", thinking="hm", tool_calls=[ToolCall("add", {"a": 1})]),
        Message("tool", "1", tool_name="add"),
    ]
    request = ChatRequest(model="qwen3", messages=history, tools=[ADD_TOOL])
    chat(fake_server.openai_url, request, api_key="sk-1")
    recorded = fake_server.requests[-1]
    assert recorded.path == PATH
    assert recorded.headers["authorization"] == "Bearer sk-1"
    assert recorded.body == build_openai_body(request)
    assert "hm" not in json.dumps(recorded.body)


@pytest.mark.parametrize("field", ["reasoning", "reasoning_content"])
def test_reasoning_fields_become_thinking(fake_server: FakeServer, field: Any) -> None:
    fake_server.queue_reply(thinking="Let me think.", content="Answer.", reasoning_field=field)
    events = chat(fake_server.openai_url, ask())
    assert text_of(events, ThinkingDelta) == "Let me think."
    assert text_of(events, ContentDelta) == "Answer."
    kinds = [type(e) for e in events if isinstance(e, ThinkingDelta | ContentDelta)]
    assert kinds == sorted(kinds, key=lambda k: k is ContentDelta)  # all thinking first


def test_think_tags_stay_in_content(fake_server: FakeServer) -> None:
    fake_server.queue_reply(thinking="hidden", content="shown", reasoning_field="think_tags")
    events = chat(fake_server.openai_url, ask())
    assert text_of(events, ThinkingDelta) == ""
    assert text_of(events, ContentDelta) == "<think>hidden</think>\n\nshown"


@pytest.mark.parametrize("pieces", [1, 4, 9])
def test_tool_call_fragments_are_joined(fake_server: FakeServer, pieces: int) -> None:
    calls = [
        {"name": "add", "arguments": {"a": 1, "b": [2, 3]}, "id": "call_q"},
        {"name": "now", "arguments": {}},
    ]
    fake_server.queue_reply(content="Using tools.", tool_calls=calls, arg_pieces=pieces)
    events = chat(fake_server.openai_url, ask(tools=[ADD_TOOL]))
    tool_events = [e for e in events if isinstance(e, ToolCalls)]
    assert len(tool_events) == 1
    first, second = tool_events[0].calls
    assert (first.name, first.arguments, first.id) == ("add", {"a": 1, "b": [2, 3]}, "call_q")
    assert (second.name, second.arguments) == ("now", {})
    assert second.id and second.id.startswith("call_")
    assert isinstance(events[-1], Done)
    assert events[-1].stats.done_reason == "tool_calls"
    assert events.index(tool_events[0]) == len(events) - 2


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        pytest.param("separate", 5, id="choices-empty-chunk"),
        pytest.param("finish", 5, id="finish-chunk"),
        pytest.param("none", None, id="absent"),
    ],
)
def test_usage_variants(fake_server: FakeServer, usage: Any, expected: int | None) -> None:
    fake_server.queue_reply(
        content="a b c d e", usage=usage, stats={"eval_count": 5, "prompt_eval_count": 9}
    )
    done = chat(fake_server.openai_url, ask())[-1]
    assert isinstance(done, Done)
    assert done.stats.eval_count == expected
    assert done.stats.prompt_eval_count == (9 if expected else None)
    assert done.stats.done_reason == "stop"


def test_generation_time_is_measured(fake_server: FakeServer) -> None:
    fake_server.queue_reply(content="a b c", delay=0.05)
    done = chat(fake_server.openai_url, ask(think=False))[-1]
    assert isinstance(done, Done)
    assert done.stats.eval_duration is not None
    assert done.stats.eval_duration >= 80_000_000  # two 50 ms gaps after the first token
    assert done.stats.total_duration is not None
    assert done.stats.total_duration >= done.stats.eval_duration


def test_keepalive_comments_are_ignored(fake_server: FakeServer) -> None:
    fake_server.queue_reply(content="ok then", keepalive=True)
    events = chat(fake_server.openai_url, ask())
    assert text_of(events, ContentDelta) == "ok then"
    assert isinstance(events[-1], Done)


def test_error_event_mid_stream(fake_server: FakeServer) -> None:
    fake_server.queue_reply(content="a b c", error_line="CUDA out of memory", error_after=1)
    events = chat(fake_server.openai_url, ask())
    assert events == [ContentDelta("a"), StreamError("CUDA out of memory")]


def test_eof_without_done_marker(fake_server: FakeServer) -> None:
    fake_server.queue_reply(content="a b", done_marker=False)
    events = chat(fake_server.openai_url, ask())
    assert text_of(events, ContentDelta) == "a b"
    assert events[-1] == StreamError(EARLY_END)


def test_dropped_connection(fake_server: FakeServer) -> None:
    fake_server.queue_reply(content="a b c", drop_after=1)
    events = chat(fake_server.openai_url, ask())
    assert events[0] == ContentDelta("a")
    assert isinstance(events[-1], StreamError)
    assert len(events) == 2


def test_bad_payload(fake_server: FakeServer) -> None:
    fake_server.queue_reply(content="a b", raw_line="<<not json>>", raw_after=1)
    events = chat(fake_server.openai_url, ask())
    assert events[0] == ContentDelta("a")
    assert isinstance(events[1], StreamError)
    assert "<<not json>>" in events[1].message


def test_closing_the_stream_closes_the_connection(fake_server: FakeServer) -> None:
    fake_server.queue_reply(content="one two three", hold_after=1)

    async def work(backend: OpenAIBackend) -> Event:
        async with aclosing(backend.chat(ask())) as stream:
            async for event in stream:
                return event
        raise AssertionError("no event")

    assert with_backend(fake_server.openai_url, work) == ContentDelta("one")
    assert fake_server.wait_for_disconnect(5.0)


def test_default_reply_reasons_on_thinking_model(fake_server: FakeServer) -> None:
    events = chat(fake_server.openai_url, ask("ping"))
    assert text_of(events, ThinkingDelta) == "The user said: ping"
    assert text_of(events, ContentDelta).startswith("You said: ping")


# --- errors ----------------------------------------------------------------------------------


def chat_error(url: str, request: ChatRequest) -> Exception:
    with pytest.raises(Exception) as info:
        chat(url, request)
    return info.value


def test_unknown_model_raises_model_not_found(fake_server: FakeServer) -> None:
    error = chat_error(fake_server.openai_url, ask(model="ghost"))
    assert isinstance(error, ModelNotFound)
    assert error.model == "ghost"


def test_tools_to_model_without_tools_is_a_server_error(fake_server: FakeServer) -> None:
    error = chat_error(fake_server.openai_url, ask(model="gemma3", tools=[ADD_TOOL]))
    assert isinstance(error, ServerError)
    assert error.status == 400
    assert "does not support tools" in error.server_message


@pytest.mark.parametrize(
    ("status", "fragment"),
    [
        pytest.param(401, "check the API key", id="auth"),
        pytest.param(503, "server busy", id="busy"),
        pytest.param(500, "internal server error", id="500"),
    ],
)
def test_http_errors(fake_server: FakeServer, status: int, fragment: str) -> None:
    fake_server.queue_error(status)
    error = chat_error(fake_server.openai_url, ask())
    assert isinstance(error, ServerError)
    assert error.status == status
    assert fragment in error.server_message


def test_wrong_base_url_hints_at_v1(fake_server: FakeServer) -> None:
    error = chat_error(fake_server.url, ask())  # missing /v1: a plain-text 404
    assert isinstance(error, ServerError)
    assert not isinstance(error, ModelNotFound)
    assert error.status == 404
    assert "/v1" in error.server_message


def test_unreachable_server() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ConnectError) as info:
        chat(f"http://127.0.0.1:{port}/v1", ask())
    assert "Cannot reach the server" in str(info.value)


# --- metadata --------------------------------------------------------------------------------


def test_list_models(fake_server: FakeServer) -> None:
    models = with_backend(fake_server.openai_url, lambda b: b.list_models())
    assert [m.name for m in models] == ["qwen3:latest", "gemma3:latest", "llama3.2:latest"]
    assert fake_server.requests[-1].path == "/v1/models"


def test_show_assumes_completion_tools_and_vision(fake_server: FakeServer) -> None:
    info = with_backend(fake_server.openai_url, lambda b: b.show("anything"))
    assert info.name == "anything"
    assert info.capabilities == frozenset({"completion", "tools", "vision"})
    assert not info.thinks
    assert info.sees_images  # the API cannot tell: images are sent, the server decides
