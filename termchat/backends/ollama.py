"""The Ollama native API client: /api/chat streaming, show, tags, version and pull."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import httpx

from termchat.backends import fields, transport
from termchat.backends.base import (
    ChatRequest,
    ModelInfo,
    ModelSummary,
    PullProgress,
    RunningModel,
    tagged,
)
from termchat.backends.body import BodyTooLong, body_pieces
from termchat.backends.host import parse_ollama_host
from termchat.backends.limits import Limits, line_cut, stream_cut
from termchat.backends.ndjson import LineDecoder, OllamaStream, bad_line
from termchat.errors import (
    BackendError,
    CapabilityError,
    ModelNotFound,
    ProtocolError,
    ServerError,
)
from termchat.messages import Event

MAX_MODELS = 10_000  # rows of a model list kept
MAX_CAPABILITIES = 64


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


def ollama_http_error(answer: transport.ErrorAnswer, model: str | None) -> ServerError:
    """Translate an error status from Ollama into the matching ServerError subclass."""
    status = answer.status
    message, is_json = answer.message()
    lowered = message.lower()
    if status == 404 and is_json and "not found" in lowered and model:
        return ModelNotFound(model, message)
    if status == 400 and "does not support thinking" in lowered:
        return CapabilityError(status, message, capability="thinking")
    if status == 400 and "does not support tools" in lowered:
        return CapabilityError(status, message, capability="tools")
    if status == 401:
        hint = "set OLLAMA_API_KEY to an ollama.com API key"
        signin = answer.field("signin_url")
        if signin:
            hint += f", or sign this Ollama in with `ollama signin` ({signin})"
        return ServerError(status, f"{message} — {hint}")
    if answer.is_page():  # a web server's error page: its words only with --verbose
        where = transport.shown_address(answer.url)
        return ServerError(
            status,
            f"{answer.reason or 'an error page'} from {where}, which answers with a web page, "
            "not as Ollama does — check --host (or OLLAMA_HOST)",
            detail=answer.detail(),
        )
    if status in (404, 405) and not is_json:
        return ServerError(status, f"{message} — is {answer.host} an Ollama server? Check --host")
    return ServerError(status, message)


def model_info(name: str, data: dict[str, Any]) -> ModelInfo:
    """Read an /api/show reply; a field of the wrong type counts as absent."""
    details = fields.mapping(data.get("details"))
    info = fields.mapping(data.get("model_info"))
    arch = fields.text(info.get("general.architecture"))
    context = fields.count(info.get(f"{arch}.context_length")) if arch else None
    if not context:
        found = (fields.count(v) for k, v in info.items() if k.endswith(".context_length"))
        context = next((c for c in found if c), None)
    return ModelInfo(
        name=name,
        capabilities=_capabilities(data.get("capabilities")) or frozenset(),
        context_length=context or None,
        family=fields.text(details.get("family")),
        parameter_size=fields.text(details.get("parameter_size")),
        quantization=fields.text(details.get("quantization_level")),
    )


def _named_rows(data: dict[str, Any], path: str) -> list[tuple[str, dict[str, Any]]]:
    """The rows of a `models` list (/api/tags, /api/ps) with their names; rows that are not
    objects or have no usable name are skipped (a name that had to be cut cannot be asked for).

    Raises:
        ProtocolError: `models` is there but is not a list.
    """
    rows = data.get("models")
    if rows is None:
        return []
    if not isinstance(rows, list):
        raise ProtocolError(f"GET {path} returned models as {fields.kind(rows)}, not a list")
    named = []
    for row in rows[:MAX_MODELS]:
        if not isinstance(row, dict):
            continue
        name = fields.text(row.get("name"), 512) or fields.text(row.get("model"), 512)
        if name is not None and not name.endswith("…"):
            named.append((name, row))
    return named


def model_summaries(data: dict[str, Any]) -> list[ModelSummary]:
    """Read an /api/tags reply: rows without a usable name are skipped, bad fields left out.

    Raises:
        ProtocolError: `models` is there but is not a list.
    """
    summaries = []
    for name, row in _named_rows(data, "/api/tags"):
        details = fields.mapping(row.get("details"))
        summaries.append(
            ModelSummary(
                name=name,
                size=fields.count(row.get("size")),
                parameter_size=fields.text(details.get("parameter_size")),
                quantization=fields.text(details.get("quantization_level")),
                modified_at=fields.timestamp(row.get("modified_at")),
                family=fields.text(details.get("family")),
                capabilities=_capabilities(row.get("capabilities")),
            )
        )
    return summaries


def running_models(data: dict[str, Any]) -> list[RunningModel]:
    """Read an /api/ps reply: the loaded models; rows without a usable name are skipped.

    Raises:
        ProtocolError: `models` is there but is not a list.
    """
    running = []
    for name, row in _named_rows(data, "/api/ps"):
        running.append(
            RunningModel(
                name=name,
                size=fields.count(row.get("size")),
                size_vram=fields.count(row.get("size_vram")),
                context_length=fields.count(row.get("context_length")) or None,
                expires_at=fields.timestamp(row.get("expires_at")),
            )
        )
    return running


def _capabilities(value: Any) -> frozenset[str] | None:
    """A list of capability names; None when the field is absent or not a list."""
    if not isinstance(value, list):
        return None
    names = (fields.text(c, 64) for c in value[:MAX_CAPABILITIES])
    return frozenset(c for c in names if c)


def loaded_context(data: dict[str, Any], model: str) -> int | None:
    """Read an /api/ps reply: the context `model` is loaded with, None when it is not loaded
    (a name without a tag is the `latest` one)."""
    wanted = tagged(model)
    for running in running_models(data):
        if running.name == wanted:
            return running.context_length
    return None


class OllamaBackend:
    """Client for one Ollama server (local, remote, or ollama.com with an API key).

    Args:
        host: Base URL or an OLLAMA_HOST-style value; normalized by `parse_ollama_host`.
        api_key: Bearer token for ollama.com; no Authorization header when None.
        connect_timeout: Seconds allowed to connect. There is no read timeout.
        limits: How much of an answer is read (see Limits).
        verbose: Errors carry their raw detail in their message (--verbose).
        headers: Extra headers sent with every request (a profile's).

    Raises:
        ConfigError: The host is not a usable address.
    """

    def __init__(
        self,
        host: str,
        api_key: str | None = None,
        connect_timeout: float = 5.0,
        limits: Limits | None = None,
        *,
        verbose: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.host = parse_ollama_host(host)
        self.limits = limits or Limits()
        self.verbose = verbose
        self._connect_timeout = connect_timeout
        self._client = transport.make_client(self.host, api_key, connect_timeout, headers)

    def _shown(self, error: BackendError) -> BackendError:
        """The error as this backend reports it: with its detail when verbose."""
        return error.with_detail() if self.verbose else error

    def _unreachable(self, exc: Exception) -> BackendError:
        return self._shown(transport.transport_error(self.host, exc, ollama=True))

    def _http_error(self, model: str | None) -> transport.HttpError:
        return lambda answer: self._shown(ollama_http_error(answer, model))

    def chat(self, request: ChatRequest) -> AsyncGenerator[Event, None]:
        """Stream one reply from POST /api/chat (see `Backend.chat`).

        Use it under `contextlib.aclosing` so that leaving early closes the response at once.
        """
        return transport.stream_events(
            self._client,
            "/api/chat",
            build_chat_body(request),
            OllamaStream(self.limits),
            self._http_error(request.model),
            self._unreachable,
            self.limits,
            verbose=self.verbose,
        )

    async def _json(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        model = body.get("model") if body else None
        data = await transport.request_json(
            self._client,
            method,
            path,
            body=body,
            timeout=transport.metadata_timeout(self._connect_timeout),
            http_error=self._http_error(model),
            transport_failure=self._unreachable,
            limits=self.limits,
        )
        if not isinstance(data, dict):
            raise ProtocolError(f"{method} {path} returned {fields.kind(data)}, not an object")
        return data

    async def show(self, model: str) -> ModelInfo:
        """Capabilities, context length and details of `model` (POST /api/show)."""
        return model_info(model, await self._json("POST", "/api/show", {"model": model}))

    async def loaded_context(self, model: str) -> int | None:
        """The context the server loaded `model` with (GET /api/ps); None when not loaded."""
        return loaded_context(await self._json("GET", "/api/ps"), model)

    async def list_models(self) -> list[ModelSummary]:
        """The installed models (GET /api/tags)."""
        return model_summaries(await self._json("GET", "/api/tags"))

    async def running(self) -> list[RunningModel]:
        """The models loaded in memory now (GET /api/ps)."""
        return running_models(await self._json("GET", "/api/ps"))

    async def pull(self, model: str) -> AsyncIterator[PullProgress]:
        """Download `model`, yielding each status line (POST /api/pull).

        Raises:
            ServerError: The server reported a failure (for example an unknown model).
            ProtocolError: A line was not a JSON object or too long, or the stream ended
                before `success`.
        """
        lines = LineDecoder(limit=self.limits.line)
        status = ""
        try:
            async with self._client.stream(
                "POST", "/api/pull", json={"model": model, "stream": True}
            ) as response:
                await transport.check_status(response, self._http_error(model), self.limits)
                async for piece in body_pieces(response, self.limits.stream):
                    for line in lines.decode(piece):
                        progress = _progress(line, response.status_code)
                        status = progress.status
                        yield progress
                    if lines.overflow:
                        raise ProtocolError(line_cut(self.limits.line))
                for line in lines.flush():
                    progress = _progress(line, response.status_code)
                    status = progress.status
                    yield progress
        except BodyTooLong as exc:
            raise ProtocolError(stream_cut(exc.limit)) from None
        except httpx.DecodingError as exc:
            raise ProtocolError(f"POST /api/pull: {transport.failure(exc)}") from exc
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc
        if status != "success":
            raise ProtocolError(f"the download of {model} ended before it finished")

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()


def _progress(line: str, status_code: int) -> PullProgress:
    try:
        data = fields.parse_json(line)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ProtocolError(bad_line(line).message)
    if data.get("error") is not None:
        raise ServerError(status_code, fields.error_text(data["error"]))
    return PullProgress(
        status=fields.text(data.get("status")) or "",
        digest=fields.text(data.get("digest")),
        total=fields.count(data.get("total")),
        completed=fields.count(data.get("completed")),
    )
