"""Helpers shared by the backend tests: run a backend against the fake server, collect events."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from typing import Any, TypeVar

from termchat.backends.base import ChatRequest
from termchat.messages import (
    ContentDelta,
    Done,
    Event,
    Message,
    StreamError,
    ThinkingDelta,
    ToolCalls,
)

T = TypeVar("T")
B = TypeVar("B")


def with_backend(
    make: Callable[..., B], url: str, work: Callable[[B], Awaitable[T]], **kwargs: Any
) -> T:
    """Build a backend for `url`, run `work` with it on a fresh loop, always close it."""

    async def main() -> T:
        backend = make(url, **kwargs)
        try:
            return await work(backend)
        finally:
            await backend.aclose()  # type: ignore[attr-defined]

    return asyncio.run(main())


def chat_events(
    make: Callable[..., Any], url: str, request: ChatRequest, **kwargs: Any
) -> list[Event]:
    """Every event of one streamed reply."""

    async def work(backend: Any) -> list[Event]:
        async with aclosing(backend.chat(request)) as stream:
            return [event async for event in stream]

    return with_backend(make, url, work, **kwargs)


def ask(text: str = "hi", model: str = "qwen3", **fields: Any) -> ChatRequest:
    """A one-message request."""
    return ChatRequest(model=model, messages=[Message("user", text)], **fields)


def text_of(events: list[Event], kind: type[ThinkingDelta] | type[ContentDelta]) -> str:
    """The joined text of one kind of delta."""
    return "".join(e.text for e in events if isinstance(e, kind))


def assert_well_formed(events: list[Event]) -> None:
    """Every event is what the rest of termchat may rely on: typed fields, sane numbers, text
    that encodes as UTF-8, and nothing after the event that ended the stream."""
    for position, event in enumerate(events):
        if isinstance(event, (ThinkingDelta, ContentDelta)):
            assert type(event.text) is str and event.text
            event.text.encode("utf-8")
        elif isinstance(event, ToolCalls):
            assert event.calls
            for call in event.calls:
                assert type(call.name) is str
                assert call.id is None or type(call.id) is str
                assert call.index is None or (type(call.index) is int and call.index >= 0)
                assert type(call.arguments) is dict
                json.dumps(call.arguments, ensure_ascii=False).encode("utf-8")
                call.name.encode("utf-8")
                (call.id or "").encode("utf-8")
        elif isinstance(event, Done):
            for name, value in vars(event.stats).items():
                if name == "done_reason":
                    assert value is None or (type(value) is str and value.encode("utf-8"))
                else:
                    assert value is None or (type(value) is int and 0 <= value < 2**63)
            speed = event.stats.tokens_per_second
            assert speed is None or math.isfinite(speed)
            assert position == len(events) - 1, "nothing may follow Done"
        elif isinstance(event, StreamError):
            assert type(event.message) is str and event.message
            assert "\n" not in event.message
            event.message.encode("utf-8")
            assert position == len(events) - 1, "nothing may follow a StreamError"
        else:
            raise AssertionError(f"not an event: {event!r}")
