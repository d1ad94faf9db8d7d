"""LazyBackend: the real backend is built once, off the event loop, and only when used."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator
from typing import Any

from termchat.backends.base import ChatRequest, ModelInfo, ModelSummary
from termchat.backends.lazy import LazyBackend
from termchat.messages import ContentDelta, Event


class FakeBackend:
    """Records where it was built and whether its stream was closed."""

    def __init__(self) -> None:
        self.host = "http://fake"
        self.built_in = threading.current_thread()
        self.closed = False
        self.stream_closed = False

    async def chat(self, request: ChatRequest) -> AsyncGenerator[Event, None]:
        try:
            for text in ("a", "b", "c"):
                yield ContentDelta(text)
        finally:
            self.stream_closed = True

    async def show(self, model: str) -> ModelInfo:
        return ModelInfo(name=model, capabilities=frozenset({"completion"}))

    async def list_models(self) -> list[ModelSummary]:
        return [ModelSummary(name="qwen3")]

    async def installed_version(self) -> str:
        return "1.0"

    async def aclose(self) -> None:
        self.closed = True


def lazy() -> tuple[LazyBackend, list[FakeBackend]]:
    built: list[FakeBackend] = []

    def factory() -> Any:
        built.append(FakeBackend())
        return built[-1]

    return LazyBackend("http://fake", factory), built


def test_lazy_backend_builds_once_in_a_worker_thread() -> None:
    backend, built = lazy()

    async def work() -> tuple[ModelInfo, list[ModelSummary]]:
        return await asyncio.gather(backend.show("qwen3"), backend.list_models())

    info, models = asyncio.run(work())
    assert info.name == "qwen3" and models[0].name == "qwen3"
    assert len(built) == 1
    assert built[0].built_in is not threading.main_thread()


def test_lazy_backend_closing_the_chat_closes_the_real_stream() -> None:
    backend, built = lazy()

    async def work() -> list[Event]:
        stream = backend.chat(ChatRequest(model="qwen3", messages=[]))
        first = [await anext(stream)]
        await stream.aclose()
        return first

    assert asyncio.run(work()) == [ContentDelta("a")]
    assert built[0].stream_closed


def test_lazy_backend_close_without_use_builds_nothing() -> None:
    backend, built = lazy()
    asyncio.run(backend.aclose())
    assert built == []


def test_lazy_backend_other_attributes_come_from_the_real_one() -> None:
    backend, built = lazy()
    assert asyncio.run(backend.installed_version()) == "1.0"
    asyncio.run(backend.aclose())
    assert built[0].closed
