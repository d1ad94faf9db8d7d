"""The OpenAI-compatible client: streamed /chat/completions and /models (vLLM, llama.cpp, ...)."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

from termchat.backends import fields, transport
from termchat.backends.base import ChatRequest, ModelInfo, ModelSummary
from termchat.backends.host import parse_base_url
from termchat.backends.limits import Limits
from termchat.backends.sse import OpenAIStream
from termchat.errors import BackendError, ModelNotFound, ProtocolError, ServerError
from termchat.messages import Event, Message

MAX_MODELS = 10_000  # rows of a model list kept
# Ollama option name -> OpenAI request field.
_OPTIONS = {
    "temperature": "temperature",
    "top_p": "top_p",
    "seed": "seed",
    "stop": "stop",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
}
# Base64 openings of the image formats a chat model may take.
_IMAGE_TYPES = {
    "iVBOR": "image/png",
    "/9j/": "image/jpeg",
    "R0lGOD": "image/gif",
    "UklGR": "image/webp",
}


def _image_url(data: str) -> str:
    if data.startswith("data:"):
        return data
    mime = next((m for prefix, m in _IMAGE_TYPES.items() if data.startswith(prefix)), "image/png")
    return f"data:{mime};base64,{data}"


def to_openai_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """Convert the conversation to OpenAI form.

    Tool-call arguments become JSON strings; a call stored without an id gets `call_<n>`, and a
    tool result without an id refers to the earliest unanswered call of its name (else the
    earliest unanswered call). Reasoning is never sent.
    """
    out: list[dict[str, Any]] = []
    unanswered: list[tuple[str, str]] = []  # (id, name), in call order
    generated = 0
    for message in messages:
        entry: dict[str, Any]
        if message.role == "assistant":
            entry = {"role": "assistant", "content": message.content}
            if message.tool_calls:
                calls = []
                unanswered = []
                for call in message.tool_calls:
                    call_id = call.id
                    if not call_id:
                        generated += 1
                        call_id = f"call_{generated}"
                    unanswered.append((call_id, call.name))
                    calls.append(
                        {
                            "id": call_id,
                            "type": "function",
                            "function": {
                                "name": call.name,
                                "arguments": json.dumps(call.arguments),
                            },
                        }
                    )
                entry["tool_calls"] = calls
        elif message.role == "tool":
            call_id = message.tool_call_id
            if call_id:
                unanswered = [pair for pair in unanswered if pair[0] != call_id]
            elif unanswered:
                match = next((p for p in unanswered if p[1] == message.tool_name), unanswered[0])
                unanswered.remove(match)
                call_id = match[0]
            entry = {
                "role": "tool",
                "tool_call_id": call_id or "call_0",
                "content": message.content,
            }
        elif images := message.wire_images():
            parts: list[dict[str, Any]] = [{"type": "text", "text": message.wire_content()}]
            parts += [{"type": "image_url", "image_url": {"url": _image_url(i)}} for i in images]
            entry = {"role": message.role, "content": parts}
        else:
            entry = {"role": message.role, "content": message.wire_content()}
        out.append(entry)
    return out


def build_openai_body(request: ChatRequest) -> dict[str, Any]:
    """The /chat/completions JSON for a request. No thinking flag is sent (servers differ)."""
    body: dict[str, Any] = {
        "model": request.model,
        "messages": to_openai_messages(request.messages),
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if request.tools:
        body["tools"] = request.tools
    if request.continue_final:
        # vLLM's (and SGLang's, Aphrodite's, llama.cpp's) extra fields: the last message stays
        # open for the model to continue; vLLM rejects the pair unless both are given so.
        body["continue_final_message"] = True
        body["add_generation_prompt"] = False
    for name, field in _OPTIONS.items():
        if request.options.get(name) is not None:
            body[field] = request.options[name]
    num_predict = request.options.get("num_predict")
    if isinstance(num_predict, int) and num_predict > 0:
        body["max_tokens"] = num_predict
    if request.format == "json":
        body["response_format"] = {"type": "json_object"}
    elif isinstance(request.format, dict):
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "response", "schema": request.format},
        }
    return body


def openai_http_error(
    answer: transport.ErrorAnswer, model: str | None, base: str = ""
) -> ServerError:
    """Translate an error status from an OpenAI-compatible server at `base` (the API base).

    A missing model keeps the server's words (the models it serves are added by the backend,
    see `OpenAIBackend.chat`); a missing route says how the base URL usually ends.
    """
    status = answer.status
    message, is_json = answer.message()
    if status == 404 and is_json and model and "model" in message.lower():
        return ModelNotFound(model, message, hint="")
    if status in (401, 403):
        return ServerError(status, f"{message} — check the API key for {answer.host}")
    base = base.rstrip("/") or transport.shown_address(answer.url)
    if status in (404, 405):
        path = answer.url[len(base) :] if answer.url.startswith(base) else "that path"
        return ServerError(status, f"{base} has no {path} — {_base_hint(base)}", detail=message)
    if answer.is_page():  # a web server's error page: its words only with --verbose
        return ServerError(
            status,
            f"{answer.reason or 'an error page'} from {base}, which answers with a web page, "
            "not as an OpenAI-compatible server does — check --host",
            detail=answer.detail(),
        )
    return ServerError(status, message)


def _base_hint(base: str) -> str:
    if base.endswith("/v1"):
        return "check the server address (--host)"
    return f"OpenAI-compatible servers usually end in /v1: try --host {base}/v1"


def served_hint(names: list[str], shown: int = 8) -> str:
    """What to do about a missing model: the ones the server does serve."""
    if not names:
        return "The server lists no models (GET /models)."
    listed = ", ".join(names[:shown])
    if len(names) > shown:
        listed += f" and {len(names) - shown} more"
    return f"The server has: {listed} — choose one with --model (or /model)."


def model_names(data: Any) -> list[ModelSummary]:
    """Read a /models reply: `{"data": [{"id": ...}, ...]}`; rows without a usable id skipped.

    Raises:
        ProtocolError: There is no list of models.
    """
    rows = data.get("data") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise ProtocolError("GET /models did not return a model list")
    summaries = []
    for row in rows[:MAX_MODELS]:
        name = fields.text(row.get("id"), 512) if isinstance(row, dict) else None
        if name and not name.endswith("…"):
            summaries.append(_summary(name, row))
    return summaries


def _summary(name: str, row: dict[str, Any]) -> ModelSummary:
    """What a /models row says beyond its id: owner, creation time, context and size (vLLM's
    `max_model_len`, llama.cpp's `meta`); a field of the wrong type counts as absent."""
    meta = fields.mapping(row.get("meta"))
    created = fields.count(row.get("created"))
    when = None
    if created:
        with contextlib.suppress(OverflowError, OSError, ValueError):
            when = datetime.fromtimestamp(created, UTC).isoformat()
    params = fields.count(meta.get("n_params"))
    return ModelSummary(
        name=name,
        size=fields.count(meta.get("size")),
        parameter_size=f"{params / 1e9:.1f}B" if params else None,
        context_length=fields.count(row.get("max_model_len"))
        or fields.count(meta.get("n_ctx_train")),
        owner=fields.text(row.get("owned_by")),
        created=when,
    )


class OpenAIBackend:
    """Client for an OpenAI-compatible server.

    Args:
        base_url: The API base, e.g. `http://127.0.0.1:8000/v1`.
        api_key: Sent as a bearer token when set.
        connect_timeout: Seconds allowed to connect. There is no read timeout.
        limits: How much of an answer is read (see Limits).
        verbose: Errors carry their raw detail in their message (--verbose).
        headers: Extra headers sent with every request (a profile's).

    Raises:
        ConfigError: The base URL is not a usable address.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        connect_timeout: float = 5.0,
        limits: Limits | None = None,
        *,
        verbose: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.host = parse_base_url(base_url)
        self.limits = limits or Limits()
        self.verbose = verbose
        self._connect_timeout = connect_timeout
        self._client = transport.make_client(self.host, api_key, connect_timeout, headers)

    def _shown(self, error: BackendError) -> BackendError:
        """The error as this backend reports it: with its detail when verbose."""
        return error.with_detail() if self.verbose else error

    def _unreachable(self, exc: Exception) -> BackendError:
        return self._shown(transport.transport_error(self.host, exc, ollama=False))

    def _http_error(self, model: str | None) -> transport.HttpError:
        return lambda answer: self._shown(openai_http_error(answer, model, self.host))

    async def chat(self, request: ChatRequest) -> AsyncGenerator[Event, None]:
        """Stream one reply from POST {base}/chat/completions (see `Backend.chat`).

        A missing model is reported with the models the server serves. Use it under
        `contextlib.aclosing` so that leaving early closes the response at once.
        """
        events = transport.stream_events(
            self._client,
            "/chat/completions",
            build_openai_body(request),
            OpenAIStream(started_ns=time.perf_counter_ns(), limits=self.limits),
            self._http_error(request.model),
            self._unreachable,
            self.limits,
            verbose=self.verbose,
        )
        try:
            async for event in events:
                yield event
        except ModelNotFound as exc:
            raise await self._not_served(exc) from None
        finally:
            await events.aclose()

    async def _not_served(self, error: ModelNotFound) -> ModelNotFound:
        """`error` with the models the server does serve (or why they are not known)."""
        try:
            names = [summary.name for summary in await self.list_models()]
        except BackendError as exc:
            hint = f"The list of its models is not available either ({exc})."
        else:
            hint = served_hint(names)
        found = ModelNotFound(error.model, error.server_message, error.status, hint=hint)
        found.detail = error.detail
        return found

    async def show(self, model: str) -> ModelInfo:
        """What can be assumed of `model`: the API cannot tell, so completion, tools and
        vision (images are sent; a server whose model cannot see them says so)."""
        return ModelInfo(name=model, capabilities=frozenset({"completion", "tools", "vision"}))

    async def list_models(self) -> list[ModelSummary]:
        """The models the server offers (GET {base}/models)."""
        data = await transport.request_json(
            self._client,
            "GET",
            "/models",
            timeout=transport.metadata_timeout(self._connect_timeout),
            http_error=self._http_error(None),
            transport_failure=self._unreachable,
            limits=self.limits,
        )
        return model_names(data)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()
