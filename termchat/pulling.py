"""Downloading a model (Ollama's /api/pull): the progress on screen, the failure said in one
sentence, and the offer to pull a model the server does not have."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import TYPE_CHECKING, Protocol, TypeVar

from termchat.backends.base import same_model
from termchat.errors import BackendError, ProtocolError, ServerError, TermchatError

if TYPE_CHECKING:
    from termchat.backends.base import Backend, ModelInfo, PullProgress
    from termchat.conversation import Conversation
    from termchat.frontend import Frontend, Screen

Puller = Callable[[str], AsyncGenerator["PullProgress", None]]
CANCELLED = "pull cancelled"
_NOT_IN_REGISTRY = ("file does not exist", "manifest unknown", "not found")


T = TypeVar("T")


class ChatApp(Protocol):
    """What a pull needs of the chat (termchat.app.ChatApp, which imports this module)."""

    backend: Backend
    renderer: Screen
    frontend: Frontend
    interactive: bool
    models_cache: list[str]

    @property
    def conversation(self) -> Conversation: ...
    async def cancellable(self, coro: Awaitable[T]) -> T | None: ...
    def set_model(self, name: str, info: ModelInfo | None) -> None: ...


class PullFailed(TermchatError):
    """A download that did not finish, said as one sentence (exit status 1)."""


def puller(backend: Backend) -> Puller | None:
    """The backend's pull, or None for a server that cannot download models (OpenAI)."""
    pull: Puller | None = getattr(backend, "pull", None)
    return pull if callable(pull) else None


def pull_failure(name: str, error: BackendError) -> PullFailed:
    """One sentence for a failed download of `name`: an unknown model names the registry."""
    if isinstance(error, ServerError):
        said = error.server_message.strip().rstrip(".")
        if any(words in said.lower() for words in _NOT_IN_REGISTRY):
            return PullFailed(
                f"{name} is not in the Ollama registry ({said}): check the name and tag at "
                "https://ollama.com/library"
            )
        return PullFailed(f"The download of {name} failed: {said}")
    if isinstance(error, ProtocolError):
        return PullFailed(f"The download of {name} failed: {error}")
    return PullFailed(str(error))  # unreachable: the message already says what to do


async def download(pull: Puller, name: str, screen: Screen) -> None:
    """Pull `name`, drawing each layer's bar and each step's line on `screen`.

    Cancelling the task that awaits this closes the stream (the server stops sending) and
    leaves one line per unfinished layer saying how far it got.

    Raises:
        PullFailed: The server refused, the registry has no such model, the stream broke.
    """
    view = screen.pull_progress()
    try:
        async with contextlib.aclosing(pull(name)) as progresses:
            async for progress in progresses:
                view.step(
                    progress.status,
                    digest=progress.digest,
                    total=progress.total,
                    completed=progress.completed,
                )
    except BackendError as exc:
        raise pull_failure(name, exc) from None
    finally:
        view.close()


async def pull_in_chat(app: ChatApp, name: str) -> bool:
    """Pull `name` for the chat (Ctrl-C cancels it); True when it finished.

    A failure or a cancel is said on screen; the chat goes on either way.
    """
    pull = puller(app.backend)
    if pull is None:
        app.renderer.error("This server cannot download models (only Ollama can).")
        return False

    async def run() -> bool:
        await download(pull, name, app.renderer)
        return True

    try:
        done = await app.cancellable(run())  # None: Ctrl-C
    except PullFailed as exc:
        app.renderer.error(str(exc))
        return False
    if not done:
        from termchat.render.sanitize import name_text

        app.renderer.warning(f"{CANCELLED}: {name_text(name)} was not downloaded.")
        return False
    if name not in app.models_cache:
        app.models_cache.append(name)
    if same_model(name, app.conversation.model):  # the toolbar said "model not found"
        with contextlib.suppress(BackendError):
            app.set_model(app.conversation.model, await app.backend.show(name))
    return True


def offers_pull(app: ChatApp) -> bool:
    """Whether a missing model is offered for pulling: only to a person at a prompt, and only
    by a server that can pull (Ollama)."""
    return app.interactive and puller(app.backend) is not None


async def offer_pull(app: ChatApp, name: str) -> bool:
    """`name` is not on the server: ask `Pull NAME now? [Y/n]` and pull it; True when it is
    there now. A "no", a failure or a cancel is said on screen (see `offers_pull` for when to
    call this).
    """
    if not offers_pull(app):
        return False
    from termchat.render.sanitize import name_text

    shown = name_text(name)
    app.renderer.notice(f"{shown} is not on the server.")
    if not await app.frontend.confirm_pull(name):
        app.renderer.notice(f"Not pulled. /pull {shown} downloads it; /models lists the others.")
        return False
    if not await pull_in_chat(app, name):
        return False
    app.renderer.notice(f"Pulled {shown}.")
    return True
