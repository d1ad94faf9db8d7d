"""Helpers shared by the backend tests: run a backend against the fake server, collect events."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from typing import Any, TypeVar

from termchat.backends.base import ChatRequest
from termchat.messages import ContentDelta, Event, Message, ThinkingDelta

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
