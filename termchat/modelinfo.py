"""The current model's capabilities: fetched in the background, awaited by the turn needing them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from termchat.backends.base import Backend, ModelInfo
from termchat.conversation import Conversation
from termchat.errors import BackendError, ConnectError, ModelNotFound


def _retrieve(task: asyncio.Task[ModelInfo | None]) -> None:
    """Mark a background task's exception as seen (it is reported where it is awaited)."""
    if not task.cancelled():
        task.exception()


class ModelLookup:
    """Keeps `conversation.info` for `conversation.model`, asking the server once per model.

    Args:
        changed: Called when what the toolbar shows changed (info arrived, or a problem).
    """

    def __init__(
        self, backend: Backend, conversation: Conversation, changed: Callable[[], None]
    ) -> None:
        self.backend = backend
        self.conversation = conversation
        self.changed = changed
        self.problem: str | None = None
        """Why the current model's info is missing ("model not found", ...), for the toolbar."""
        self._task: asyncio.Task[ModelInfo | None] | None = None

    def start(self) -> None:
        """Fetch the model's capabilities in the background (the prompt does not wait)."""
        if self.conversation.model and self._task is None:
            task = asyncio.create_task(self._fetch(self.conversation.model))
            task.add_done_callback(_retrieve)
            self._task = task

    def switch(self, name: str, info: ModelInfo | None) -> None:
        """Another model (its info, if known, fetched by the caller)."""
        conv = self.conversation
        if name != conv.model or info is not None:
            conv.model = name
            conv.info = info
            self._task = None
            self.problem = None

    async def _fetch(self, model: str) -> ModelInfo | None:
        try:
            info = await self.backend.show(model)
        except (ModelNotFound, ConnectError) as exc:
            if self.conversation.model == model:
                self.problem = (
                    "model not found" if isinstance(exc, ModelNotFound) else "server unreachable"
                )
                self.changed()
            raise
        except BackendError:
            return None
        if self.conversation.model == model:
            self.conversation.info = info
            self.problem = None
            self.changed()
        return info

    async def get(self) -> ModelInfo | None:
        """The current model's info, waiting for the background fetch if needed.

        Raises:
            ModelNotFound: the model is not on the server.
            ConnectError: the server cannot be reached.
        """
        if self.conversation.info is not None:
            return self.conversation.info
        if self._task is None:
            self.start()
        task = self._task
        if task is None:
            return None
        try:
            # Shielded: a Ctrl-C while waiting must not cancel the shared background fetch.
            info = await asyncio.shield(task)
        except (ModelNotFound, ConnectError):
            self._task = None  # ask again next time
            raise
        if info is None:
            self._task = None  # the server could not say; ask again next turn
        return info
