"""A backend that builds the real one on first use, so httpx is not imported before the prompt."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from typing import Any

from termchat.backends.base import Backend, ChatRequest, ModelInfo, ModelSummary
from termchat.messages import Event


class LazyBackend:
    """Stands in for a Backend until something is asked of it.

    Importing httpx and building its client costs about 100 ms. The first request builds the
    real backend in a worker thread, so the event loop (the prompt, its toolbar, the keys)
    never waits for it; the REPL's first request (the model's capabilities) runs in the
    background once the prompt is drawn. Any attribute other than the Backend methods
    (`pull`, `version`, ...) is looked up on the real backend, built then if need be.

    Args:
        host: The server address, as the real backend will use it.
        factory: Builds the real backend.
    """

    def __init__(self, host: str, factory: Callable[[], Backend]) -> None:
        self.host = host
        self._factory = factory
        self._backend: Backend | None = None
        self._building: asyncio.Future[Backend] | None = None

    @property
    def real(self) -> Backend:
        """The real backend (built now, in this thread, if it was not yet)."""
        if self._backend is None:
            self._backend = self._factory()
        return self._backend

    async def ready(self) -> Backend:
        """The real backend, built in a worker thread on first use."""
        if self._backend is None:
            if self._building is None:
                self._building = asyncio.ensure_future(asyncio.to_thread(self._factory))
            # shield: a cancelled caller must not cancel the build another caller awaits
            backend = await asyncio.shield(self._building)
            if self._backend is None:
                self._backend = backend
        return self._backend

    async def chat(self, request: ChatRequest) -> AsyncGenerator[Event, None]:
        """See `Backend.chat`; closing this generator closes the real one (and its response)."""
        stream = (await self.ready()).chat(request)
        try:
            async for event in stream:
                yield event
        finally:
            await stream.aclose()

    async def show(self, model: str) -> ModelInfo:
        """See `Backend.show`."""
        return await (await self.ready()).show(model)

    async def list_models(self) -> list[ModelSummary]:
        """See `Backend.list_models`."""
        return await (await self.ready()).list_models()

    async def aclose(self) -> None:
        """Close the real backend, if it was ever built."""
        if self._backend is None and self._building is not None:
            self._backend = await self._building
        if self._backend is not None:
            await self._backend.aclose()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.real, name)
