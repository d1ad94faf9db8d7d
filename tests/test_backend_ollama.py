"""OllamaBackend over real HTTP against the loopback fake server."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from typing import Any, TypeVar

import backend_helpers
import pytest
from backend_helpers import ask, chat_events, text_of
from fakeserver import FakeServer, echo_content

from termchat.backends.base import ChatRequest, PullProgress
from termchat.backends.ndjson import EARLY_END
from termchat.backends.ollama import OllamaBackend
from termchat.errors import CapabilityError, ConnectError, ModelNotFound, ServerError
from termchat.messages import (
    ContentDelta,
    Done,
    Event,
    Message,
    Stats,
    StreamError,
    ThinkingDelta,
    ToolCall,
    ToolCalls,
)

T = TypeVar("T")

ADD_TOOL = {
    "type": "function",
    "function": {
        "name": "add",
        "description": "Add two numbers.",
        "parameters": {"type": "object", "properties": {"a": {"type": "number"}}},
    },
}


def with_backend(url: str, work: Callable[[OllamaBackend], Awaitable[T]], **kwargs: Any) -> T:
    return backend_helpers.with_backend(OllamaBackend, url, work, **kwargs)


def chat(url: str, request: ChatRequest, **kwargs: Any) -> list[Event]:
    return chat_events(OllamaBackend, url, request, **kwargs)


# --- the request JSON ------------------------------------------------------------------------


def test_chat_minimal_body_omits_optional_fields(fake_server: FakeServer) -> None:
    chat(fake_server.url, ask("hello"))
    assert fake_server.last_chat() == {
        "model": "qwen3",
        "messages": [{"role": "user", "content": "hello"}],
        "stream": True,
    }


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param({"think": False}, {"think": False}, id="think-false-sent"),
        pytest.param({"think": True}, {"think": True}, id="think-true"),
        pytest.param({"think": "high"}, {"think": "high"}, id="think-level"),
        pytest.param({"tools": [ADD_TOOL]}, {"tools": [ADD_TOOL]}, id="tools"),
        pytest.param({"tools": []}, {}, id="empty-tools-omitted"),
        pytest.param(
            {"options": {"temperature": 0.2, "num_ctx": 8192}},
            {"options": {"temperature": 0.2, "num_ctx": 8192}},
            id="options",
        ),
        pytest.param({"options": {}}, {}, id="empty-options-omitted"),
        pytest.param({"format": "json"}, {"format": "json"}, id="format-json"),
        pytest.param(
            {"format": {"type": "object"}}, {"format": {"type": "object"}}, id="format-schema"
        ),
        pytest.param({"keep_alive": "10m"}, {"keep_alive": "10m"}, id="keep-alive"),
        pytest.param({"keep_alive": 0}, {"keep_alive": 0}, id="keep-alive-zero"),
    ],
)
def test_chat_optional_fields_sent_only_when_set(
    fake_server: FakeServer, fields: dict[str, Any], expected: dict[str, Any]
) -> None:
    chat(fake_server.url, ask(**fields))
    body = fake_server.last_chat()
    optional = {"think", "tools", "options", "format", "keep_alive"}
    assert {k: v for k, v in body.items() if k in optional} == expected


def test_chat_sends_history_with_thinking_tool_calls_and_tool_results(
    fake_server: FakeServer,
) -> None:
    messages = [
        Message("system", "Be brief."),
        Message("user", "add 1 and 2, then 3 and 4"),
        Message(
            "assistant",
            "",
            thinking="I need the add tool twice.",
            tool_calls=[
                ToolCall("add", {"a": 1, "b": 2}, id="call_1", index=0),
                ToolCall("add", {"a": 3, "b": 4}, index=0),
            ],
        ),
        Message("tool", "3", tool_name="add", tool_call_id="call_1"),
        Message("tool", "7", tool_name="add"),
        Message("user", "thanks", images=["aGk="]),
    ]
    chat(fake_server.url, ChatRequest(model="qwen3", messages=messages, tools=[ADD_TOOL]))
    assert fake_server.last_chat()["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "add 1 and 2, then 3 and 4"},
        {
            "role": "assistant",
            "content": "",
            "thinking": "I need the add tool twice.",
            "tool_calls": [
                {
                    "id": "call_1",
                    "function": {"index": 0, "name": "add", "arguments": {"a": 1, "b": 2}},
                },
                {"function": {"index": 0, "name": "add", "arguments": {"a": 3, "b": 4}}},
            ],
        },
        {"role": "tool", "content": "3", "tool_name": "add", "tool_call_id": "call_1"},
        {"role": "tool", "content": "7", "tool_name": "add"},
        {"role": "user", "content": "thanks", "images": ["aGk="]},
    ]


def test_authorization_only_with_api_key(fake_server: FakeServer) -> None:
    chat(fake_server.url, ask())
    chat(fake_server.url, ask(), api_key="sk-secret")
    first, second = (r.headers for r in fake_server.requests)
    assert "authorization" not in first
    assert second["authorization"] == "Bearer sk-secret"


def test_loopback_ignores_proxy_environment(
    fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    events = chat(fake_server.url, ask("x", think=False))
    assert text_of(events, ContentDelta) == echo_content("x")


def test_host_without_scheme_is_normalized(fake_server: FakeServer) -> None:
    bare = fake_server.url.removeprefix("http://")
    events = chat(bare, ask("x", think=False))
    assert text_of(events, ContentDelta) == echo_content("x")
    backend = OllamaBackend(bare)
    asyncio.run(backend.aclose())
    assert backend.host == fake_server.url


# --- stream shapes ---------------------------------------------------------------------------


def test_default_reply_thinks_when_think_absent(fake_server: FakeServer) -> None:
    events = chat(fake_server.url, ask("what now"))
    assert text_of(events, ThinkingDelta) == "The user said: what now"
    assert text_of(events, ContentDelta) == echo_content("what now")
    first_content = next(i for i, e in enumerate(events) if isinstance(e, ContentDelta))
    assert all(not isinstance(e, ThinkingDelta) for e in events[first_content:])
    assert isinstance(events[-1], Done)


def test_default_reply_does_not_think_when_think_false(fake_server: FakeServer) -> None:
    events = chat(fake_server.url, ask("quiet", think=False))
    assert text_of(events, ThinkingDelta) == ""


def test_chunk_with_thinking_and_content_yields_thinking_first(fake_server: FakeServer) -> None:
    fake_server.queue_reply(thinking="abcd", content="efgh", token_chars=2)
    events = chat(fake_server.url, ask())
    assert events[:4] == [
        ThinkingDelta("ab"),
        ThinkingDelta("cd"),
        ContentDelta("ef"),
        ContentDelta("gh"),
    ]


@pytest.mark.parametrize("mode", ["together", "each", "done"])
def test_tool_calls_in_any_chunk_are_all_kept(fake_server: FakeServer, mode: Any) -> None:
    calls = [
        {"name": "add", "arguments": {"a": 1}},
        {"name": "add", "arguments": {"a": 2}, "id": "call_x"},
    ]
    fake_server.queue_reply(content="Calling.", tool_calls=calls, tool_calls_mode=mode)
    events = chat(fake_server.url, ask(tools=[ADD_TOOL]))
    found = [c for e in events if isinstance(e, ToolCalls) for c in e.calls]
    assert found == [ToolCall("add", {"a": 1}, None, 0), ToolCall("add", {"a": 2}, "call_x", 1)]
    assert isinstance(events[-1], Done)
    tool_events = [i for i, e in enumerate(events) if isinstance(e, ToolCalls)]
    assert len(tool_events) == (2 if mode == "each" else 1)


def test_same_index_calls_are_not_merged(fake_server: FakeServer) -> None:
    call = {"function": {"index": 0, "name": "add", "arguments": {"a": 1}}}
    fake_server.queue_reply(
        [
            {"message": {"role": "assistant", "content": "", "tool_calls": [call]}, "done": False},
            {"message": {"role": "assistant", "content": "", "tool_calls": [call]}, "done": True},
        ]
    )
    events = chat(fake_server.url, ask(tools=[ADD_TOOL]))
    assert [len(e.calls) for e in events if isinstance(e, ToolCalls)] == [1, 1]


def test_final_chunk_content_comes_before_done(fake_server: FakeServer) -> None:
    fake_server.queue_reply(content="one two", content_on_done=True)
    events = chat(fake_server.url, ask())
    assert events[-2:-1] == [ContentDelta(" two")]
    assert isinstance(events[-1], Done)


def test_done_stats_are_read(fake_server: FakeServer) -> None:
    stats = {"eval_count": 10, "eval_duration": 500_000_000, "prompt_eval_count": 7}
    fake_server.queue_reply(content="x", stats=stats, done_reason="length")
    done = chat(fake_server.url, ask())[-1]
    assert done == Done(
        Stats(done_reason="length", eval_count=10, eval_duration=500_000_000, prompt_eval_count=7)
    )
    assert done.stats.tokens_per_second == 20.0


def test_done_without_any_metrics(fake_server: FakeServer) -> None:
    fake_server.queue_reply(content="x", stats=None, done_reason=None)
    assert chat(fake_server.url, ask())[-1] == Done(Stats())


def test_raw_chunks_without_model_fields(fake_server: FakeServer) -> None:
    fake_server.queue_reply([{"message": {"role": "assistant", "content": "é😀"}}, {"done": True}])
    assert chat(fake_server.url, ask()) == [ContentDelta("é😀"), Done(Stats())]


def test_long_reply_arrives_whole(fake_server: FakeServer) -> None:
    fake_server.long = True
    fake_server.long_tokens = 3000
    events = chat(fake_server.url, ask("x", think=False))
    content = text_of(events, ContentDelta)
    assert len(content) > 10_000
    assert "```python" in content and "| Approach |" in content
    assert isinstance(events[-1], Done)
    assert events[-1].stats.eval_count == sum(isinstance(e, ContentDelta) for e in events)


# --- mid-stream failures ---------------------------------------------------------------------


def test_error_line_ends_stream_with_stream_error(fake_server: FakeServer) -> None:
    fake_server.queue_reply(content="a b c d", error_line="model runner crashed", error_after=2)
    events = chat(fake_server.url, ask(think=False))
    assert events == [ContentDelta("a"), ContentDelta(" b"), StreamError("model runner crashed")]


def test_clean_eof_without_done_is_a_stream_error(fake_server: FakeServer) -> None:
    fake_server.queue_reply(content="a b c", truncate_after=1)
    assert chat(fake_server.url, ask()) == [ContentDelta("a"), StreamError(EARLY_END)]


def test_dropped_connection_is_a_stream_error(fake_server: FakeServer) -> None:
    fake_server.queue_reply(content="a b c", drop_after=2)
    events = chat(fake_server.url, ask())
    assert events[:2] == [ContentDelta("a"), ContentDelta(" b")]
    assert len(events) == 3
    assert isinstance(events[2], StreamError)
    assert "before the reply was complete" in events[2].message


def test_reset_connection_is_a_stream_error(fake_server: FakeServer) -> None:
    fake_server.queue_reply(content="a b c", drop_after=2, reset=True, delay=0.05)
    events = chat(fake_server.url, ask())
    assert isinstance(events[-1], StreamError)
    assert "before the reply was complete" in events[-1].message
    assert not any(isinstance(e, Done) for e in events)
    assert not events[-1].message.endswith("()")  # the cause is named


def test_non_json_line_is_a_stream_error(fake_server: FakeServer) -> None:
    fake_server.queue_reply(content="a b", raw_line="<html>502 Bad Gateway</html>", raw_after=1)
    events = chat(fake_server.url, ask())
    assert events[0] == ContentDelta("a")
    assert isinstance(events[1], StreamError)
    assert "<html>502 Bad Gateway</html>" in events[1].message
    assert len(events) == 2


def test_slow_stream_does_not_time_out(fake_server: FakeServer) -> None:
    # A silent start (model loading, thinking) far longer than the connect timeout.
    fake_server.queue_reply(content="late reply", first_delay=0.4, delay=0.25)
    events = chat(fake_server.url, ask(), connect_timeout=0.1)
    assert text_of(events, ContentDelta) == "late reply"
    assert isinstance(events[-1], Done)


# --- cancellation ----------------------------------------------------------------------------


def test_closing_the_stream_closes_the_connection(fake_server: FakeServer) -> None:
    fake_server.queue_reply(content="one two three four", hold_after=2)

    async def work(backend: OllamaBackend) -> list[Event]:
        seen = []
        async with aclosing(backend.chat(ask(think=False))) as stream:
            async for event in stream:
                seen.append(event)
                if len(seen) == 2:
                    break
        return seen

    seen = with_backend(fake_server.url, work)
    assert seen == [ContentDelta("one"), ContentDelta(" two")]
    assert fake_server.wait_for_disconnect(5.0)
    assert fake_server.disconnects == 1
    assert fake_server.completed_streams == 0


def test_cancelling_the_task_closes_the_connection(fake_server: FakeServer) -> None:
    fake_server.queue_reply(content="one two three", hold_after=1)

    async def work(backend: OllamaBackend) -> list[Event]:
        seen: list[Event] = []
        first = asyncio.Event()

        async def consume() -> None:
            async with aclosing(backend.chat(ask())) as stream:
                async for event in stream:
                    seen.append(event)
                    first.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(first.wait(), 5.0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return seen

    assert with_backend(fake_server.url, work) == [ContentDelta("one")]
    assert fake_server.wait_for_disconnect(5.0)


def test_finished_stream_is_not_a_disconnect(fake_server: FakeServer) -> None:
    fake_server.queue_reply(content="a b", delay=0.01)
    chat(fake_server.url, ask())
    assert fake_server.completed_streams == 1
    assert fake_server.disconnects == 0


# --- errors before the stream ----------------------------------------------------------------


def chat_error(url: str, request: ChatRequest) -> Exception:
    with pytest.raises(Exception) as info:
        chat(url, request)
    return info.value


def test_unknown_model_raises_model_not_found(fake_server: FakeServer) -> None:
    error = chat_error(fake_server.url, ask(model="nope"))
    assert isinstance(error, ModelNotFound)
    assert error.model == "nope"
    assert error.server_message == "model 'nope' not found"
    assert "termchat pull nope" in str(error)


def test_think_to_non_thinking_model_raises_capability_error(fake_server: FakeServer) -> None:
    error = chat_error(fake_server.url, ask(model="gemma3", think=True))
    assert isinstance(error, CapabilityError)
    assert error.capability == "thinking"
    assert error.server_message == '"gemma3" does not support thinking'


def test_think_false_to_non_thinking_model_is_fine(fake_server: FakeServer) -> None:
    events = chat(fake_server.url, ask(model="gemma3", think=False))
    assert isinstance(events[-1], Done)


def test_tools_to_model_without_tools_raises_capability_error(fake_server: FakeServer) -> None:
    error = chat_error(fake_server.url, ask(model="gemma3", tools=[ADD_TOOL]))
    assert isinstance(error, CapabilityError)
    assert error.capability == "tools"
    assert error.server_message == (
        "registry.ollama.ai/library/gemma3:latest does not support tools"
    )


def test_invalid_think_value_raises_server_error(fake_server: FakeServer) -> None:
    error = chat_error(fake_server.url, ask(think="extreme"))
    assert isinstance(error, ServerError)
    assert error.status == 400
    assert "invalid think value" in error.server_message


@pytest.mark.parametrize(
    ("status", "body", "cls", "fragment"),
    [
        pytest.param(503, None, ServerError, "server busy", id="busy"),
        pytest.param(401, None, ServerError, "OLLAMA_API_KEY", id="cloud-auth"),
        pytest.param(404, None, ModelNotFound, "model 'qwen3' not found", id="scripted-404"),
        pytest.param(404, "404 page not found", ServerError, "an Ollama server", id="wrong-route"),
        pytest.param(405, None, ServerError, "405 method not allowed", id="plain-405"),
        pytest.param(500, {"error": "kaput"}, ServerError, "kaput", id="500"),
    ],
)
def test_http_errors_map_to_server_errors(
    fake_server: FakeServer, status: int, body: Any, cls: type[Exception], fragment: str
) -> None:
    fake_server.queue_error(status, body)
    error = chat_error(fake_server.url, ask())
    assert type(error) is cls
    assert isinstance(error, ServerError)
    assert error.status == status
    assert fragment in error.server_message


def test_unreachable_server_raises_connect_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with pytest.raises(ConnectError) as info:
        chat(url, ask())
    assert url in str(info.value)
    assert "ollama serve" in str(info.value)


# --- other endpoints -------------------------------------------------------------------------


def test_show_reads_capabilities_and_context(fake_server: FakeServer) -> None:
    info = with_backend(fake_server.url, lambda b: b.show("qwen3:latest"))
    assert info.capabilities == frozenset({"completion", "tools", "thinking"})
    assert info.context_length == 40960
    assert (info.family, info.parameter_size, info.quantization) == ("qwen3", "8.2B", "Q4_K_M")
    assert info.thinks and info.uses_tools
    assert fake_server.requests[-1].body == {"model": "qwen3:latest"}


def test_show_added_model(fake_server: FakeServer) -> None:
    fake_server.add_model("tiny:1b", ["completion"], context_length=2048, family="tinyarch")
    info = with_backend(fake_server.url, lambda b: b.show("tiny:1b"))
    assert info.context_length == 2048
    assert not info.thinks


def test_show_unknown_model_raises(fake_server: FakeServer) -> None:
    with pytest.raises(ModelNotFound):
        with_backend(fake_server.url, lambda b: b.show("ghost"))


def test_list_models(fake_server: FakeServer) -> None:
    async def work(backend: OllamaBackend) -> list[str]:
        return [m.name for m in await backend.list_models()]

    names = with_backend(fake_server.url, work)
    assert names == ["qwen3:latest", "gemma3:latest", "llama3.2:latest"]


def test_pull_streams_progress_and_installs(fake_server: FakeServer) -> None:
    async def work(backend: OllamaBackend) -> list[PullProgress]:
        return [p async for p in backend.pull("phi4-mini")]

    progress = with_backend(fake_server.url, work)
    statuses = [p.status for p in progress]
    assert statuses[0] == "pulling manifest"
    assert statuses[-3:] == ["verifying sha256 digest", "writing manifest", "success"]
    layers = [p for p in progress if p.status.startswith("pulling ") and p.digest]
    assert len({p.digest for p in layers}) >= 3
    assert all(p.total and (p.completed or 0) <= p.total for p in layers)
    assert any(p.completed is None for p in layers)  # a zero `completed` is left out
    assert layers[0].status == f"pulling {layers[0].digest.removeprefix('sha256:')[:12]}"
    assert fake_server.installed("phi4-mini") is not None


def test_pull_unknown_model_raises_server_error(fake_server: FakeServer) -> None:
    async def work(backend: OllamaBackend) -> list[str]:
        seen = []
        with pytest.raises(ServerError) as info:
            async for progress in backend.pull("no-such-model"):
                seen.append(progress.status)
        assert info.value.server_message == "pull model manifest: file does not exist"
        return seen

    assert with_backend(fake_server.url, work) == ["pulling manifest"]
