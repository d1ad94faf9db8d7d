"""The httpx plumbing both backends share: client setup, bounded reading, error translation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from termchat import __version__
from termchat.backends.body import BodyTooLong, body_pieces, read_body
from termchat.backends.fields import clean_text, error_text, parse_json, shorten, text
from termchat.backends.host import is_loopback, redact, shown
from termchat.backends.limits import Limits, size_text, stream_cut
from termchat.backends.paced import paced_transport
from termchat.errors import BackendError, ConnectError, ProtocolError, ServerError
from termchat.messages import Event

# Metadata calls (show, tags, version) answer at once; only a chat stream may be silent for long.
METADATA_READ_TIMEOUT = 60.0
LOST = "The connection to the server broke off before the reply was complete"
# Words in a failure that mean the host name did not resolve (glibc, macOS, Windows spellings).
_NO_NAME = (
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "no address associated with hostname",
    "getaddrinfo failed",
)
_SHOWN = 300  # characters of a plain-text error body shown


class StreamDecoder(Protocol):
    """A pure bytes-to-events decoder (see ndjson.OllamaStream and sse.OpenAIStream)."""

    finished: bool

    def feed(self, chunk: bytes) -> list[Event]: ...

    def end(self) -> list[Event]: ...

    def fail(self, message: str) -> list[Event]: ...


@dataclass(frozen=True)
class ErrorAnswer:
    """An error status and the start of its body (read within the error-body limit).

    Attributes:
        status: The HTTP status.
        body: The body as text, at most `Limits.error_body` bytes of it.
        cut_at: The limit the body passed (the rest was not read), or None.
        host: The server's host name, for hints.
        reason: The reason phrase.
        url: The address asked (credentials removed), for hints.
    """

    status: int
    body: str
    cut_at: int | None
    host: str
    reason: str
    url: str = ""

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is not (or was cut)."""
        if self.cut_at is not None:
            return None
        try:
            return parse_json(self.body)
        except ValueError:
            return None

    def message(self) -> tuple[str, bool]:
        """The server's message, and whether the body was JSON.

        Reads `{"error": "..."}`, `{"error": {"message": ...}}`, `{"message": ...}` and
        `{"detail": ...}`; falls back to the start of the plain text, or the reason phrase.
        """
        data = self.json()
        if isinstance(data, dict):
            for key in ("error", "message", "detail"):
                value = data.get(key)
                if value:
                    return redact(error_text(value)), True
        if data is not None:
            return redact(shorten(" ".join(self.body.split()), _SHOWN)), True
        plain = redact(shorten(" ".join(clean_text(self.body).split()), _SHOWN))
        if self.cut_at is not None:
            plain += f" (the error body passed {size_text(self.cut_at)}; the rest was not read)"
        return plain or self.reason or "no message", False

    def is_page(self) -> bool:
        """Whether the body is a web page (HTML): not a model server's own error."""
        return self.body.lstrip()[:1] == "<"

    def detail(self) -> str:
        """The start of the raw body on one line (for --verbose), or the reason phrase."""
        raw = redact(shorten(" ".join(clean_text(self.body).split()), _SHOWN))
        return raw or self.reason

    def field(self, key: str) -> str | None:
        """A short string field of a JSON body."""
        data = self.json()
        return text(data.get(key)) if isinstance(data, dict) else None


HttpError = Callable[[ErrorAnswer], BackendError]


def make_client(
    base_url: str,
    api_key: str | None,
    connect_timeout: float,
    extra_headers: dict[str, str] | None = None,
) -> httpx.AsyncClient:
    """An AsyncClient for one server: no read timeout, proxies ignored for loopback hosts.

    Args:
        base_url: Server base URL; request paths are relative to it.
        api_key: Sent as `Authorization: Bearer` only when set.
        connect_timeout: Seconds allowed to open a connection.
        extra_headers: Sent with every request (a profile's `headers`).
    """
    # identity: a compressed answer could inflate far past what was sent (see body.py).
    headers = {"User-Agent": f"termchat/{__version__}", "Accept-Encoding": "identity"}
    headers.update(extra_headers or {})
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


def shown_address(url: str) -> str:
    """`http://host:port` of a URL, for messages (the path left out)."""
    parsed = httpx.URL(url)
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}" if parsed.host else url


def transport_error(host: str, exc: Exception, *, ollama: bool) -> ConnectError:
    """A ConnectError for an httpx failure before any reply arrived: one sentence saying what
    to check, the library's words as its detail."""
    host = redact(host)
    detail = failure(exc)
    message = ""
    if any(words in detail.lower() for words in _NO_NAME):
        name = httpx.URL(host).host or host
        message = f"Cannot find the host {name}: check the server address (--host)"
    elif isinstance(exc, httpx.ConnectTimeout):
        message = f"No answer from {host} within the connect timeout: check the server address"
    return ConnectError(host, detail, ollama=ollama, message=message)


def failure(exc: Exception) -> str:
    """What an httpx exception says, fit to show (no credentials, one short line)."""
    return redact(shorten(" ".join(str(exc).split()), _SHOWN)) or type(exc).__name__


async def read_error(response: httpx.Response, limits: Limits) -> ErrorAnswer:
    """Read the body of an error status, within the error-body size and time limits."""
    data = bytearray()
    cut = False
    try:
        async with asyncio.timeout(limits.error_seconds):
            cut = await read_body(response, limits.error_body, data)
    except TimeoutError:
        cut = True
    except (httpx.TransportError, httpx.DecodingError, ProtocolError):
        pass  # what arrived is the message
    return ErrorAnswer(
        status=response.status_code,
        body=data.decode("utf-8", "replace"),
        cut_at=limits.error_body if cut else None,
        host=response.url.host,
        reason=response.reason_phrase,
        url=redact(str(response.url)),
    )


def redirect_error(response: httpx.Response) -> ServerError:
    """The error for a 3xx answer: termchat does not follow redirects, so say where it led."""
    location = response.headers.get("location", "").strip()
    if not location:
        return ServerError(response.status_code, "a redirect without an address")
    try:
        target = str(response.url.join(location))
    except (httpx.InvalidURL, ValueError):
        target = location
    return ServerError(
        response.status_code,
        f"a redirect to {shown(target)} — is the server address right? "
        "(termchat does not follow redirects)",
    )


async def check_status(response: httpx.Response, http_error: HttpError, limits: Limits) -> None:
    """Raise for a redirect or an error status; return for a success."""
    status = response.status_code
    if 300 <= status < 400:
        raise redirect_error(response)
    if status >= 400:
        raise http_error(await read_error(response, limits))


async def stream_events(
    client: httpx.AsyncClient,
    path: str,
    body: dict[str, Any],
    decoder: StreamDecoder,
    http_error: HttpError,
    transport_failure: Callable[[Exception], BackendError],
    limits: Limits,
    *,
    verbose: bool = False,
) -> AsyncGenerator[Event, None]:
    """POST `body` and yield the decoded events until the reply ends.

    Failures before the first byte of the body raise (`http_error` for an error status, a
    ServerError for a redirect, `transport_failure` for httpx transport errors); failures after
    it end the stream with a StreamError event, the reply so far kept (the library's words
    in it only when `verbose`). Closing or cancelling the generator closes the response, which
    is how the server learns to stop generating.
    """
    try:
        async with client.stream("POST", path, json=body) as response:
            await check_status(response, http_error, limits)
            try:
                async for piece in body_pieces(response, limits.stream):
                    for event in decoder.feed(piece):
                        yield event
                    if decoder.finished:
                        return
            except BodyTooLong as exc:
                for event in decoder.fail(stream_cut(exc.limit)):
                    yield event
                return
            except httpx.DecodingError as exc:  # termchat's own words (see body.py)
                for event in decoder.fail(f"The reply could not be read: {failure(exc)}"):
                    yield event
                return
            except httpx.TransportError as exc:
                lost = f"{LOST} (detail: {failure(exc)})" if verbose else LOST
                for event in decoder.fail(lost):
                    yield event
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
    http_error: HttpError,
    transport_failure: Callable[[Exception], BackendError],
    limits: Limits,
    body: dict[str, Any] | None = None,
) -> Any:
    """Send one short request and return its parsed JSON body (read within `limits.answer`).

    Raises:
        BackendError: `http_error(...)` for an error status, a ServerError for a redirect,
            `transport_failure(...)` when the server cannot be reached, ProtocolError when the
            body is not JSON, is compressed unreadably, or passes the size limit.
    """
    data = bytearray()
    try:
        async with client.stream(method, path, json=body, timeout=timeout) as response:
            await check_status(response, http_error, limits)
            cut = await read_body(response, limits.answer, data)
    except httpx.DecodingError as exc:
        raise ProtocolError(f"{method} {path}: {failure(exc)}") from exc
    except (httpx.TransportError, httpx.InvalidURL) as exc:
        raise transport_failure(exc) from exc
    if cut:
        raise ProtocolError(
            f"{method} {path}: the answer passed {size_text(limits.answer)}; "
            "termchat stopped reading it"
        )
    try:
        return parse_json(data.decode("utf-8", "replace"))
    except ValueError as exc:
        start = bytes(data[:60]).decode("utf-8", "replace")
        raise ProtocolError(f"{method} {path} did not return JSON: {start!r}") from exc
