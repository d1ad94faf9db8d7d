"""The Backend protocol every model server client implements, and its request/info types."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any, Protocol

from termchat.messages import Event, Message, Think


@dataclass
class ChatRequest:
    """Everything one /api/chat request carries. `think=None` and `tools=None` mean "omit"."""

    model: str
    messages: list[Message]
    tools: list[dict[str, Any]] | None = None
    think: Think = None
    options: dict[str, Any] = field(default_factory=dict)
    format: str | dict[str, Any] | None = None
    keep_alive: str | int | None = None
    continue_final: bool = False  # the last message is a cut reply for the server to continue


@dataclass(frozen=True)
class ModelInfo:
    """What /api/show tells about a model."""

    name: str
    capabilities: frozenset[str] = frozenset()
    context_length: int | None = None
    family: str | None = None
    parameter_size: str | None = None
    quantization: str | None = None

    @property
    def thinks(self) -> bool:
        return "thinking" in self.capabilities

    @property
    def uses_tools(self) -> bool:
        return "tools" in self.capabilities

    @property
    def sees_images(self) -> bool:
        """Whether images may be sent: the vision capability, or capabilities not reported
        at all (servers older than the list)."""
        return "vision" in self.capabilities or not self.capabilities


def tagged(name: str) -> str:
    """A model's name with its tag: `qwen3` is `qwen3:latest` (a colon before the last `/` is
    a registry's port, not a tag)."""
    return name if ":" in name.rsplit("/", 1)[-1] else name + ":latest"


def same_model(a: str | None, b: str | None) -> bool:
    """Whether two names mean one model (`qwen3` is `qwen3:latest`)."""
    return bool(a and b) and tagged(a or "") == tagged(b or "")


@dataclass(frozen=True)
class ModelSummary:
    """One row of the model list (/api/tags or /models); what a server does not say is None.

    `capabilities` is None when the list does not carry them (older Ollama, OpenAI servers);
    `owner`, `created` and `context_length` come from OpenAI-style lists (`owned_by`, `created`,
    vLLM's `max_model_len`, llama.cpp's `meta.n_ctx_train`).
    """

    name: str
    size: int | None = None
    parameter_size: str | None = None
    quantization: str | None = None
    modified_at: str | None = None
    family: str | None = None
    capabilities: frozenset[str] | None = None
    context_length: int | None = None
    owner: str | None = None
    created: str | None = None


@dataclass(frozen=True)
class RunningModel:
    """One model loaded in memory (/api/ps)."""

    name: str
    size: int | None = None
    size_vram: int | None = None
    context_length: int | None = None
    expires_at: str | None = None


@dataclass(frozen=True)
class PullProgress:
    """One status line of a model download (/api/pull)."""

    status: str
    digest: str | None = None
    total: int | None = None
    completed: int | None = None


class Backend(Protocol):
    """A streaming chat client. Async only; the stream is an async generator.

    Closing (or cancelling) the generator returned by `chat` must close the HTTP response, so that
    the server stops generating.
    """

    host: str

    def chat(self, request: ChatRequest) -> AsyncGenerator[Event, None]:
        """Stream one reply. Raises a BackendError before the first event for HTTP-level failures;
        after that, failures arrive as a final `StreamError` event."""
        ...

    async def show(self, model: str) -> ModelInfo:
        """Capabilities and details of one model. Raises ModelNotFound when absent."""
        ...

    async def list_models(self) -> list[ModelSummary]:
        """The models the server has."""
        ...

    async def aclose(self) -> None:
        """Release the connection pool."""
        ...
