"""Unbounded and odd answers: an unterminated line, an endless or inflating body, redirects and
SSE line endings. Each is cut at a limit (and says so) or read right; memory stays bounded."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from backend_helpers import ask, assert_well_formed, chat_events, text_of, with_backend
from fakeserver import FakeServer, Script

from termchat.backends.limits import MIB, Limits, size_text
from termchat.backends.ollama import OllamaBackend
from termchat.backends.openai import OpenAIBackend
from termchat.backends.sse import OpenAIStream
from termchat.backends.transport import failure
from termchat.errors import ProtocolError, ServerError
from termchat.messages import ContentDelta, Done, Event, StreamError

BACKENDS = [
    pytest.param((OllamaBackend, "url"), id="ollama"),
    pytest.param((OpenAIBackend, "openai_url"), id="openai"),
]
Kind = tuple[Callable[..., Any], str]
SMALL = Limits(line=256 * 1024, stream=2 * MIB, answer=1 * MIB, error_body=4096)


def chat(server: FakeServer, kind: Kind, **kwargs: Any) -> list[Event]:
    make, attr = kind
    events = chat_events(make, getattr(server, attr), ask(), **kwargs)
    assert_well_formed(events)
    return events


@pytest.fixture
def peak_memory() -> Iterator[Callable[[], int]]:
    """The peak bytes Python allocated during the test (tracemalloc)."""
    tracemalloc.start()
    try:
        yield lambda: tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --- an unterminated line, an endless body -----------------------------------------------------


@pytest.mark.parametrize("kind", BACKENDS)
def test_unterminated_line_is_cut_at_the_line_limit(fake_server: FakeServer, kind: Kind) -> None:
    fake_server.queue_reply(content="Hello there", endless=b"x" * 65536)
    events = chat(fake_server, kind)
    assert text_of(events, ContentDelta) == "Hello there"
    error = events[-1]
    assert isinstance(error, StreamError)
    assert "longer than 8 MiB" in error.message
    assert fake_server.wait_for_disconnect()


def test_sse_event_of_endless_data_lines_is_cut(fake_server: FakeServer) -> None:
    fake_server.queue_reply(content="Hi", endless=b"data: xxxxxxxxxxxxxxxx\n" * 4096)
    events = chat(fake_server, (OpenAIBackend, "openai_url"), limits=SMALL)
    assert text_of(events, ContentDelta) == "Hi"
    assert isinstance(events[-1], StreamError)
    assert f"longer than {size_text(SMALL.line)}" in events[-1].message


@pytest.mark.parametrize("kind", BACKENDS)
def test_endless_valid_stream_is_cut_at_the_stream_limit(
    fake_server: FakeServer, kind: Kind
) -> None:
    fake_server.queue_reply(content="word " * 1_000_000, token_chars=2000)
    events = chat(fake_server, kind, limits=SMALL)
    assert len(text_of(events, ContentDelta)) > 1 * MIB  # the reply so far is kept
    assert isinstance(events[-1], StreamError)
    assert "The reply passed 2 MiB" in events[-1].message


@pytest.mark.parametrize("kind", BACKENDS)
def test_endless_error_body_is_cut_and_said(fake_server: FakeServer, kind: Kind) -> None:
    fake_server.queue_reply(Script(status=500, body="boom " * 10, endless=b"y" * 65536))
    with pytest.raises(ServerError) as caught:
        chat(fake_server, kind)
    message = str(caught.value)
    assert message.startswith("Server error 500: boom boom")
    assert "the error body passed 64 KiB; the rest was not read" in message
    assert len(message) < 500
    assert fake_server.wait_for_disconnect()


def test_endless_pull_line_is_a_protocol_error(fake_server: FakeServer) -> None:
    fake_server.override("/api/pull", Script(body=b'{"status": "pulling', endless=b"z" * 65536))

    async def pull(backend: OllamaBackend) -> list[Any]:
        return [p async for p in backend.pull("qwen3")]

    with pytest.raises(ProtocolError, match="longer than 256 KiB"):
        with_backend(OllamaBackend, fake_server.url, pull, limits=SMALL)


# --- compression ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", BACKENDS)
def test_gzip_bomb_stream_is_cut_with_bounded_memory(
    fake_server: FakeServer, kind: Kind, peak_memory: Callable[[], int]
) -> None:
    fake_server.queue_reply(Script(gzip_bomb=64 * MIB))
    events = chat(fake_server, kind, limits=SMALL)
    assert isinstance(events[-1], StreamError)
    assert "longer than 256 KiB" in events[-1].message
    assert peak_memory() < 8 * MIB


def test_gzip_bomb_metadata_is_a_protocol_error_with_bounded_memory(
    fake_server: FakeServer, peak_memory: Callable[[], int]
) -> None:
    fake_server.override("/api/tags", Script(gzip_bomb=64 * MIB))
    with pytest.raises(ProtocolError) as caught:
        with_backend(OllamaBackend, fake_server.url, lambda b: b.list_models(), limits=SMALL)
    assert (
        str(caught.value) == "GET /api/tags: the answer passed 1 MiB; termchat stopped reading it"
    )
    assert peak_memory() < 8 * MIB


@pytest.mark.parametrize("kind", BACKENDS)
def test_gzip_bomb_error_body_is_cut(
    fake_server: FakeServer, kind: Kind, peak_memory: Callable[[], int]
) -> None:
    fake_server.queue_reply(Script(status=502, gzip_bomb=64 * MIB))
    with pytest.raises(ServerError) as caught:
        chat(fake_server, kind)
    assert "the error body passed 64 KiB" in str(caught.value)
    assert len(str(caught.value)) < 500
    assert peak_memory() < 8 * MIB


def test_compressed_answers_are_read_though_not_asked_for(fake_server: FakeServer) -> None:
    lines = [{"message": {"role": "assistant", "content": p}, "done": False} for p in "abc"]
    body = b"".join(json.dumps(x).encode() + b"\n" for x in [*lines, {"done": True}])
    fake_server.queue_reply(Script(body=body, gzip=True, content_type="application/x-ndjson"))
    events = chat(fake_server, (OllamaBackend, "url"))
    assert text_of(events, ContentDelta) == "abc"
    assert isinstance(events[-1], Done)
    fake_server.override("/api/tags", Script(body={"models": [{"name": "z"}]}, gzip=True))
    models = with_backend(OllamaBackend, fake_server.url, lambda b: b.list_models())
    assert [m.name for m in models] == ["z"]
    assert all(r.headers.get("accept-encoding") == "identity" for r in fake_server.requests)


def test_unreadable_encoding_is_one_protocol_error(fake_server: FakeServer) -> None:
    fake_server.override("/api/tags", Script(body=b"\x00\x01", headers={"Content-Encoding": "br"}))
    with pytest.raises(ProtocolError, match="compressed its answer as 'br'"):
        with_backend(OllamaBackend, fake_server.url, lambda b: b.list_models())


def test_corrupt_gzip_stream_keeps_the_reply(fake_server: FakeServer) -> None:
    fake_server.queue_reply(Script(body=b"\x1f\x8bnot gzip", headers={"Content-Encoding": "gzip"}))
    events = chat(fake_server, (OllamaBackend, "url"))
    assert isinstance(events[-1], StreamError)
    assert "corrupt" in events[-1].message


# --- redirects --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", BACKENDS)
@pytest.mark.parametrize(
    ("location", "shown"),
    [
        pytest.param(
            "https://other.example/api/chat", "'https://other.example/api/chat'", id="abs"
        ),
        pytest.param("/elsewhere", "/elsewhere'", id="relative"),
        pytest.param(
            "https://bob:hunter2@evil.example/", "'https://***@evil.example/'", id="creds"
        ),
    ],
)
def test_redirect_is_reported_as_a_redirect(
    fake_server: FakeServer, kind: Kind, location: str, shown: str
) -> None:
    fake_server.queue_reply(Script(status=301, headers={"Location": location}))
    with pytest.raises(ServerError) as caught:
        chat(fake_server, kind)
    message = str(caught.value)
    assert message.startswith("Server error 301: a redirect to ")
    assert shown in message
    assert "is the server address right?" in message
    assert "hunter2" not in message


def test_redirect_of_a_metadata_request(fake_server: FakeServer) -> None:
    fake_server.override(
        "/api/tags", Script(status=308, headers={"Location": "https://x.example/"})
    )
    with pytest.raises(ServerError, match=r"308: a redirect to 'https://x\.example/'"):
        with_backend(OllamaBackend, fake_server.url, lambda b: b.list_models())


def test_transport_failures_never_show_credentials() -> None:
    detail = failure(OSError("cannot reach http://bob:hunter2@h:1/api\nretrying"))
    assert detail == "cannot reach http://***@h:1/api retrying"


# --- SSE line endings -------------------------------------------------------------------------


@pytest.mark.parametrize("newline", ["\r", "\r\n"], ids=["cr", "crlf"])
def test_sse_with_cr_or_crlf_line_ends_over_http(fake_server: FakeServer, newline: str) -> None:
    fake_server.queue_reply(thinking="Hmm.", content="Hello there, world.", newline=newline)
    events = chat(fake_server, (OpenAIBackend, "openai_url"))
    assert text_of(events, ContentDelta) == "Hello there, world."
    assert isinstance(events[-1], Done)


@pytest.mark.parametrize("newline", [b"\r", b"\r\n", b"\n"], ids=["cr", "crlf", "lf"])
@pytest.mark.parametrize("step", [1, 2, 3, 7])
def test_sse_line_ends_split_anywhere(newline: bytes, step: int) -> None:
    events_text = [
        b'data: {"choices": [{"delta": {"content": "a"}}]}',
        b"",
        b"data: {",
        b'data: "choices": [{"delta": {"content": "b"}}]}',
        b"",
        b"data: [DONE]",
        b"",
    ]
    data = newline.join(events_text) + newline
    stream = OpenAIStream()
    events: list[Event] = []
    for i in range(0, len(data), step):
        events += stream.feed(data[i : i + step])
    events += stream.end()
    assert events[:2] == [ContentDelta("a"), ContentDelta("b")]
    assert isinstance(events[2], Done)
