"""The Ollama native API client: /api/chat streaming, show, tags, version and pull."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import httpx

from termchat.backends import transport
from termchat.backends.base import ChatRequest, ModelInfo, ModelSummary, PullProgress
from termchat.backends.host import parse_ollama_host
from termchat.backends.ndjson import LineDecoder, OllamaStream, bad_line, error_text
from termchat.errors import (
    BackendError,
    CapabilityError,
    ModelNotFound,
    ProtocolError,
    ServerError,
)
from termchat.messages import Event


def build_chat_body(request: ChatRequest) -> dict[str, Any]:
    """The /api/chat JSON for a request; optional fields only when set.

    `think` is sent whenever it is not None (False included, which is meaningful); `tools`,
    `options`, `format` and `keep_alive` only when they hold something.
    """
    body: dict[str, Any] = {
        "model": request.model,
        "messages": [message.to_wire() for message in request.messages],
        "stream": True,
    }
    if request.think is not None:
        body["think"] = request.think
    if request.tools:
        body["tools"] = request.tools
    if request.options:
        body["options"] = request.options
    if request.format:
        body["format"] = request.format
    if request.keep_alive is not None:
        body["keep_alive"] = request.keep_alive
    return body


def ollama_http_error(response: httpx.Response, model: str | None) -> ServerError:
    """Translate an error status from Ollama into the matching ServerError subclass."""
    status = response.status_code
    message, is_json = transport.error_message(response)
    lowered = message.lower()
    if status == 404 and is_json and "not found" in lowered and model:
        return ModelNotFound(model, message)
    if status == 400 and "does not support thinking" in lowered:
        return CapabilityError(status, message, capability="thinking")
    if status == 400 and "does not support tools" in lowered:
        return CapabilityError(status, message, capability="tools")
    if status == 401:
        hint = "set OLLAMA_API_KEY to an ollama.com API key"
        signin = _json_field(response, "signin_url")
        if signin:
            hint += f", or sign this Ollama in with `ollama signin` ({signin})"
        return ServerError(status, f"{message} — {hint}")
    if status in (404, 405) and not is_json:
        return ServerError(status, f"{message} — is {response.url.host} an Ollama server?")
    return ServerError(status, message)


def _json_field(response: httpx.Response, key: str) -> str | None:
    try:
        data = response.json()
    except ValueError:
        return None
    value = data.get(key) if isinstance(data, dict) else None
    return str(value) if value else None


def model_info(name: str, data: dict[str, Any]) -> ModelInfo:
    """Read an /api/show reply."""
    details = data.get("details") or {}
    info = data.get("model_info") or {}
    context: Any = None
    if isinstance(info, dict):
        arch = info.get("general.architecture")
        context = info.get(f"{arch}.context_length") if arch else None
        if context is None:
            context = next((v for k, v in info.items() if k.endswith(".context_length")), None)
    capabilities = data.get("capabilities") or []
    return ModelInfo(
        name=name,
        capabilities=frozenset(str(c) for c in capabilities),
        context_length=context if isinstance(context, int) else None,
        family=details.get("family") or None,
        parameter_size=details.get("parameter_size") or None,
        quantization=details.get("quantization_level") or None,
    )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class OllamaBackend:
    """Client for one Ollama server (local, remote, or ollama.com with an API key).

    Args:
        host: Base URL or an OLLAMA_HOST-style value; normalized by `parse_ollama_host`.
        api_key: Bearer token for ollama.com; no Authorization header when None.
        connect_timeout: Seconds allowed to connect. There is no read timeout.
    """

    def __init__(self, host: str, api_key: str | None = None, connect_timeout: float = 5.0) -> None:
        self.host = parse_ollama_host(host)
        self._connect_timeout = connect_timeout
        self._client = transport.make_client(self.host, api_key, connect_timeout)

    def _unreachable(self, exc: Exception) -> BackendError:
        return transport.transport_error(self.host, exc, ollama=True)

    def chat(self, request: ChatRequest) -> AsyncGenerator[Event, None]:
        """Stream one reply from POST /api/chat (see `Backend.chat`).

        Use it under `contextlib.aclosing` so that leaving early closes the response at once.
        """
        return transport.stream_events(
            self._client,
            "/api/chat",
            build_chat_body(request),
            OllamaStream(),
            lambda response: ollama_http_error(response, request.model),
            self._unreachable,
        )

    async def _json(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        model = body.get("model") if body else None
        data = await transport.request_json(
            self._client,
            method,
            path,
            body=body,
            timeout=transport.metadata_timeout(self._connect_timeout),
            http_error=lambda response: ollama_http_error(response, model),
            transport_failure=self._unreachable,
        )
        if not isinstance(data, dict):
            raise ProtocolError(f"{method} {path} returned {type(data).__name__}, not an object")
        return data

    async def show(self, model: str) -> ModelInfo:
        """Capabilities, context length and details of `model` (POST /api/show)."""
        return model_info(model, await self._json("POST", "/api/show", {"model": model}))

    async def list_models(self) -> list[ModelSummary]:
        """The installed models (GET /api/tags)."""
        data = await self._json("GET", "/api/tags")
        summaries = []
        for row in data.get("models") or []:
            if not isinstance(row, dict):
                continue
            details = row.get("details") or {}
            summaries.append(
                ModelSummary(
                    name=str(row.get("name") or row.get("model") or ""),
                    size=_int(row.get("size")),
                    parameter_size=details.get("parameter_size") or None,
                    quantization=details.get("quantization_level") or None,
                    modified_at=row.get("modified_at") or None,
                )
            )
        return summaries

    async def version(self) -> str:
        """The server's version string (GET /api/version)."""
        return str((await self._json("GET", "/api/version")).get("version", ""))

    async def pull(self, model: str) -> AsyncIterator[PullProgress]:
        """Download `model`, yielding each status line (POST /api/pull).

        Raises:
            ServerError: The server reported a failure (for example an unknown model).
            ProtocolError: A line was not JSON, or the stream ended before `success`.
        """
        lines = LineDecoder()
        try:
            async with self._client.stream(
                "POST", "/api/pull", json={"model": model, "stream": True}
            ) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise ollama_http_error(response, model)
                status = ""
                async for chunk in response.aiter_bytes():
                    for line in lines.decode(chunk):
                        progress = _progress(line, response.status_code)
                        status = progress.status
                        yield progress
                for line in lines.flush():
                    progress = _progress(line, response.status_code)
                    status = progress.status
                    yield progress
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc
        if status != "success":
            raise ProtocolError(f"the download of {model} ended before it finished")

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()


def _progress(line: str, status_code: int) -> PullProgress:
    try:
        data = json.loads(line)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ProtocolError(bad_line(line).message)
    if "error" in data:
        raise ServerError(status_code, error_text(data["error"]))
    return PullProgress(
        status=str(data.get("status", "")),
        digest=data.get("digest") or None,
        total=_int(data.get("total")),
        completed=_int(data.get("completed")),
    )
