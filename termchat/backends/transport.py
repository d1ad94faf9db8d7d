"""The httpx plumbing both backends share: client setup, streaming, error translation."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Callable
from typing import Any, Protocol

import httpx

from termchat import __version__
from termchat.backends.host import is_loopback
from termchat.backends.paced import paced_transport
from termchat.errors import BackendError, ConnectError, ProtocolError
from termchat.messages import Event, StreamError

# Metadata calls (show, tags, version) answer at once; only a chat stream may be silent for long.
METADATA_READ_TIMEOUT = 60.0
LOST = "the connection was lost before the reply was complete"


class StreamDecoder(Protocol):
    """A pure bytes-to-events decoder (see ndjson.OllamaStream and sse.OpenAIStream)."""

    finished: bool

    def feed(self, chunk: bytes) -> list[Event]: ...

    def end(self) -> list[Event]: ...


def make_client(base_url: str, api_key: str | None, connect_timeout: float) -> httpx.AsyncClient:
    """An AsyncClient for one server: no read timeout, proxies ignored for loopback hosts.

    Args:
        base_url: Server base URL; request paths are relative to it.
        api_key: Sent as `Authorization: Bearer` only when set.
        connect_timeout: Seconds allowed to open a connection.
    """
    headers = {"User-Agent": f"termchat/{__version__}"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    # httpx honours HTTP_PROXY even for 127.0.0.1; a local server must never go through it.
    trust_env = not is_loopback(base_url)
    return httpx.AsyncClient(
        base_url=base_url,
        headers=headers,
        # A model may load or think silently for minutes: no read timeout while streaming.
        timeout=httpx.Timeout(None, connect=connect_timeout),
        trust_env=trust_env,
        # Reads paced to the frame clock: one wake-up per frame, not one per token.
        transport=paced_transport(trust_env=trust_env, tls=not base_url.startswith("http://")),
    )


def metadata_timeout(connect_timeout: float) -> httpx.Timeout:
    """The timeout for short, non-streaming requests."""
    return httpx.Timeout(METADATA_READ_TIMEOUT, connect=connect_timeout)


def error_message(response: httpx.Response) -> tuple[str, bool]:
    """The server's message from an error response, and whether the body was JSON.

    Reads `{"error": "..."}`, `{"error": {"message": ...}}`, `{"message": ...}` and
    `{"detail": ...}`; falls back to the plain text or the reason phrase.
    """
    text = response.text.strip()
    try:
        data: Any = json.loads(text)
    except ValueError:
        return text[:300] or response.reason_phrase or "no message", False
    if isinstance(data, dict):
        for key in ("error", "message", "detail"):
            value = data.get(key)
            if isinstance(value, dict):
                value = value.get("message") or value
            if value:
                return str(value), True
    return text[:300], True


def transport_error(host: str, exc: Exception, *, ollama: bool) -> ConnectError:
    """A ConnectError for an httpx failure before any reply arrived."""
    detail = str(exc) or type(exc).__name__
    return ConnectError(host, detail, ollama=ollama)


async def stream_events(
    client: httpx.AsyncClient,
    path: str,
    body: dict[str, Any],
    decoder: StreamDecoder,
    http_error: Callable[[httpx.Response], BackendError],
    transport_failure: Callable[[Exception], BackendError],
) -> AsyncGenerator[Event, None]:
    """POST `body` and yield the decoded events until the reply ends.

    Failures before the first byte of the body raise (`http_error` for an error status,
    `transport_failure` for httpx transport errors); failures after it end the stream with a
    StreamError event. Closing or cancelling the generator closes the response, which is how the
    server learns to stop generating.
    """
    try:
        async with client.stream("POST", path, json=body) as response:
            if response.status_code >= 400:
                await response.aread()
                raise http_error(response)
            try:
                async for chunk in response.aiter_bytes():
                    for event in decoder.feed(chunk):
                        yield event
                    if decoder.finished:
                        return
            except (httpx.TransportError, httpx.DecodingError) as exc:
                if not decoder.finished:
                    yield StreamError(f"{LOST} ({str(exc) or type(exc).__name__})")
                return
            for event in decoder.end():
                yield event
    except (httpx.TransportError, httpx.InvalidURL) as exc:
        raise transport_failure(exc) from exc


async def request_json(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    *,
    timeout: httpx.Timeout,
    http_error: Callable[[httpx.Response], BackendError],
    transport_failure: Callable[[Exception], BackendError],
    body: dict[str, Any] | None = None,
) -> Any:
    """Send one short request and return its parsed JSON body.

    Raises:
        BackendError: `http_error(...)` for an error status, `transport_failure(...)` when the
            server cannot be reached, ProtocolError when the body is not JSON.
    """
    try:
        response = await client.request(method, path, json=body, timeout=timeout)
    except (httpx.TransportError, httpx.InvalidURL) as exc:
        raise transport_failure(exc) from exc
    if response.status_code >= 400:
        raise http_error(response)
    try:
        return response.json()
    except ValueError as exc:
        start = response.text[:60]
        raise ProtocolError(f"{method} {path} did not return JSON: {start!r}") from exc
