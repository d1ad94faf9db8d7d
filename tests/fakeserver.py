"""A real loopback Ollama (and OpenAI-compatible) server for tests, benchmarks and manual tries.

Usage in tests (see the `fake_server` fixture in conftest.py)::

    server.queue_reply(thinking="Hmm.", content="Hello **there**", delay=0.01)
    server.queue_reply(tool_calls=[{"name": "add", "arguments": {"a": 1}}])
    server.queue_reply(content=long_markdown(2000), tps=200)   # a long answer, 200 tokens/s
    server.queue_reply(content="a b c", hold_after=1)          # then wait for Ctrl-C
    server.queue_error(503)
    ...
    assert server.last_chat()["think"] is True
    assert server.wait_for_disconnect(5)

Each chat request (native /api/chat or /v1/chat/completions) is first validated like Ollama does
(unknown model, bad think value, missing capability); only a valid one takes the next queued
Script. With nothing queued the reply is derived from the last message: thinking "The user
said: X" (thinking models, unless think is false) and content `echo_content(X)`; "call NAME
{json}" with a matching tool makes a tool call; after tool results, "The tool returned: ...";
a message starting with "long" gets `long_markdown()`.

Standalone: ``python tests/fakeserver.py --port 0 [--tps 40] [--long]`` prints
``http://127.0.0.1:PORT`` on its first stdout line and serves until killed.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import gzip
import hashlib
import json
import re
import select
import signal
import socket
import struct
import sys
import threading
import time
import traceback
import zlib
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fakereplies import (
    Plan,
    Script,
    default_reply,
    echo_content,
    long_markdown,
    ndjson_plan,
    prompt_count,
    reply,
    sse_plan,
    tokens,
    with_newline,
)

__all__ = [
    "FakeModel",
    "FakeServer",
    "RecordedRequest",
    "Script",
    "echo_content",
    "long_markdown",
    "reply",
    "tokens",
]

VERSION = "0.12.6"
THINK_LEVELS = ("low", "medium", "high", "max")
BUSY = "server busy, please try again.  maximum pending requests exceeded"
_HOLD_LIMIT = 60.0  # seconds a held stream waits for release or disconnect
_BATCH = 32 * 1024  # bytes per write when a stream has no delay
_ENDLESS_LIMIT = 4 * 1024**3  # bytes an endless body sends at most, should a client never stop


def full_name(name: str) -> str:
    """Ollama's canonical model name: registry and `library/` dropped, tag defaulting to latest."""
    name = name.strip().lower()
    for prefix in ("registry.ollama.ai/", "library/"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    if ":" not in name.rsplit("/", 1)[-1]:
        name += ":latest"
    return name


@dataclass
class FakeModel:
    """One model the fake server knows."""

    name: str
    capabilities: list[str]
    context_length: int = 4096
    family: str = "llama"
    parameter_size: str = "7B"
    quantization: str = "Q4_K_M"
    size: int = 4_000_000_000
    installed: bool = True

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.name.encode()).hexdigest()

    def details(self) -> dict[str, Any]:
        return {
            "parent_model": "",
            "format": "gguf",
            "family": self.family,
            "families": [self.family],
            "parameter_size": self.parameter_size,
            "quantization_level": self.quantization,
        }


@dataclass
class RecordedRequest:
    """A request the server received; `body` is the parsed JSON (None when absent or invalid)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    raw: bytes


@dataclass
class _State:
    requests: list[RecordedRequest] = field(default_factory=list)
    queue: deque[Script] = field(default_factory=deque)
    disconnects: int = 0
    completed: int = 0
    errors: list[str] = field(default_factory=list)
    loaded: dict[str, float] = field(default_factory=dict)
    serial: int = 0
    overrides: dict[str, deque[Script]] = field(default_factory=dict)
    contexts: dict[str, int] = field(default_factory=dict)


class FakeServer:
    """An Ollama look-alike on 127.0.0.1 in a background thread.

    Args:
        port: 0 picks a free port.
        delay: Seconds between chunks of default (unscripted) replies.
        long: Default replies are long Markdown answers (`long_tokens` tokens).
        pull_delay: Seconds between /api/pull status lines.

    `pull_failure = (N, message)` makes the next pulls write `{"error": message}` after their
    first N status lines (as a registry that fails half-way does).

    Attributes:
        url: Base URL of the native API; `openai_url` is `url + "/v1"`.
        requests: Every request received, in order.
        disconnected: Set when a client closes a stream before it finished.
        holding: Set when a stream reaches its `hold_after` point.
    """

    def __init__(
        self,
        *,
        port: int = 0,
        delay: float = 0.0,
        long: bool = False,
        long_tokens: int = 1200,
        pull_delay: float = 0.0,
        version: str = VERSION,
    ) -> None:
        self.delay = delay
        self.long = long
        self.long_tokens = long_tokens
        self.pull_delay = pull_delay
        self.pull_failure: tuple[int, str] | None = None
        self.version = version
        # /v1 takes vLLM's extra fields (continue_final_message, add_generation_prompt) as vLLM
        # does; False: rejects them with 400 as the OpenAI API rejects unknown arguments.
        self.vllm_fields = True
        self.models: dict[str, FakeModel] = {}
        self.disconnected = threading.Event()
        self.holding = threading.Event()
        self._state = _State()
        self._lock = threading.Condition()
        self._release = threading.Semaphore(0)
        self._closing = threading.Event()
        self._sockets: set[socket.socket] = set()
        self.add_model("qwen3", ["completion", "tools", "thinking"], 40960, "qwen3", "8.2B")
        self.add_model("gemma3", ["completion", "vision"], 131072, "gemma3", "4.3B")
        self.add_model("llama3.2", ["completion", "tools"], 131072, "llama", "3.2B")
        self.add_model(
            "phi4-mini", ["completion", "tools"], 131072, "phi3", "3.8B", installed=False
        )
        self._httpd = _HTTPServer(("127.0.0.1", port), _Handler, self)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self.openai_url = self.url + "/v1"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    # --- setup ----------------------------------------------------------------------------

    def add_model(
        self,
        name: str,
        capabilities: list[str] | tuple[str, ...] = ("completion",),
        context_length: int = 4096,
        family: str | None = None,
        parameter_size: str = "7B",
        *,
        quantization: str = "Q4_K_M",
        size: int | None = None,
        installed: bool = True,
    ) -> FakeModel:
        """Register a model (`installed=False`: only pullable). Returns it."""
        canonical = full_name(name)
        base = canonical.rsplit("/", 1)[-1].split(":")[0]
        model = FakeModel(
            name=canonical,
            capabilities=list(capabilities),
            context_length=context_length,
            family=family or re.sub(r"[^a-z]+$", "", base) or base,
            parameter_size=parameter_size,
            quantization=quantization,
            size=size if size is not None else 1_000_000_000 + len(canonical) * 1_234_567,
            installed=installed,
        )
        with self._lock:
            self.models[canonical] = model
        return model

    def remove_model(self, name: str) -> None:
        """Forget a model."""
        with self._lock:
            self.models.pop(full_name(name), None)

    def installed(self, name: str) -> FakeModel | None:
        """The installed model called `name` (any spelling), or None."""
        model = self.models.get(full_name(name))
        return model if model and model.installed else None

    def queue_reply(
        self, script: Script | list[dict[str, Any]] | None = None, **kwargs: Any
    ) -> Script:
        """Queue the reply for the next valid chat request (native or /v1).

        Args:
            script: A Script, or a list of raw chunk dicts written exactly as given (then
                `kwargs` are Script fields such as `delay` or `drop_after`). None: build one
                with `fakereplies.reply(**kwargs)` (thinking=, content=, tool_calls=, ...).
        """
        if script is None:
            script = reply(**kwargs)
        elif isinstance(script, list):
            script = Script(chunks=script, **kwargs)
        with self._lock:
            self._state.queue.append(script)
        return script

    def queue_error(self, status: int, body: Any = None, content_type: str | None = None) -> Script:
        """Queue a pre-stream HTTP error. Without `body`, the real server's body for `status`
        (404 model not found, 503 busy, 401 with signin_url, 405 plain text, ...)."""
        return self.queue_reply(Script(status=status, body=body, content_type=content_type))

    def override(self, path: str, script: Script) -> None:
        """Answer the next request to `path` (any endpoint: "/api/tags", "/v1/models", ...)
        with `script` sent as it is: its status, `body` (JSON for a dict or list), headers and
        hostile modes (gzip, gzip_bomb, endless), after `first_delay` seconds."""
        with self._lock:
            self._state.overrides.setdefault(path, deque()).append(script)

    def release(self) -> None:
        """Let one held stream (`hold_after`) continue."""
        self._release.release()

    # --- inspection -----------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request so far (a copy)."""
        with self._lock:
            return list(self._state.requests)

    @property
    def disconnects(self) -> int:
        """How many streams the client closed before they finished."""
        return self._state.disconnects

    @property
    def completed_streams(self) -> int:
        """How many streams were written to their final chunk (cut streams don't count)."""
        return self._state.completed

    @property
    def errors(self) -> list[str]:
        """Exceptions raised inside request handlers (should stay empty)."""
        return list(self._state.errors)

    def chat_requests(self, path: str = "/api/chat") -> list[Any]:
        """The JSON bodies of the chat requests to `path` (use "/v1/chat/completions" for the
        OpenAI endpoint)."""
        return [r.body for r in self.requests if r.path == path and r.method == "POST"]

    def user_messages(self) -> list[str]:
        """The content of the last user message of every chat request, in order."""
        return [
            [m for m in body["messages"] if m["role"] == "user"][-1]["content"]
            for body in self.chat_requests()
        ]

    def last_chat(self, path: str = "/api/chat") -> Any:
        """The JSON body of the latest chat request."""
        bodies = self.chat_requests(path)
        assert bodies, f"no request to {path}"
        return bodies[-1]

    def wait_for_requests(self, count: int, path: str | None = None, timeout: float = 5.0) -> bool:
        """Wait until `count` requests (to `path`, if given) arrived."""

        def enough() -> bool:
            seen = self._state.requests
            return len([r for r in seen if path is None or r.path == path]) >= count

        with self._lock:
            return self._lock.wait_for(enough, timeout)

    def wait_for_disconnect(self, timeout: float = 5.0) -> bool:
        """Wait until a client closes a stream early."""
        return self.disconnected.wait(timeout)

    # --- lifecycle ------------------------------------------------------------------------

    def close(self) -> None:
        """Stop serving, end open connections and join every thread."""
        if self._closing.is_set():
            return
        self._closing.set()
        self._httpd.shutdown()
        with self._lock:
            open_sockets = list(self._sockets)
        for sock in open_sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()  # joins the handler threads
        self._thread.join()

    def __enter__(self) -> FakeServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- used by the handler --------------------------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._state.requests.append(request)
            self._lock.notify_all()

    def _next_script(self) -> Script | None:
        with self._lock:
            return self._state.queue.popleft() if self._state.queue else None

    def _take_override(self, path: str) -> Script | None:
        with self._lock:
            queued = self._state.overrides.get(path)
            return queued.popleft() if queued else None

    def _serial(self) -> int:
        with self._lock:
            self._state.serial += 1
            return self._state.serial

    def _count(self, what: str) -> None:
        with self._lock:
            if what == "disconnect":
                self._state.disconnects += 1
                self.disconnected.set()
            else:
                self._state.completed += 1

    def _error(self, text: str) -> None:
        with self._lock:
            self._state.errors.append(text)

    def _track(self, sock: socket.socket, add: bool) -> None:
        with self._lock:
            if add:
                self._sockets.add(sock)
            else:
                self._sockets.discard(sock)

    def _wait_release(self, timeout: float) -> bool:
        return self._release.acquire(timeout=timeout)

    def _loaded(self, model: FakeModel, context: int) -> None:
        with self._lock:
            self._state.loaded[model.name] = time.time()
            self._state.contexts[model.name] = context

    def loaded_context(self, model: FakeModel) -> int:
        """The context a loaded model runs with: the last request's num_ctx, else Ollama's
        default of 4096 (at most the model's own)."""
        with self._lock:
            return self._state.contexts.get(model.name, min(model.context_length, 4096))

    def _loaded_models(self) -> list[FakeModel]:
        with self._lock:
            names = list(self._state.loaded)
        return [self.models[n] for n in names if n in self.models]


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = True

    def __init__(self, address: tuple[str, int], handler: type, fake: FakeServer) -> None:
        self.fake = fake
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return  # a client that hangs up between requests is normal
        self.fake._error(traceback.format_exc())


class _Gone(Exception):
    """The client closed the connection."""


def _user_text(body: dict[str, Any]) -> tuple[str, str | None, list[dict[str, Any]]]:
    """The text of the last message, its role, and the trailing tool messages."""
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    if not messages:
        return "", None, []
    last = messages[-1]
    trailing: list[dict[str, Any]] = []
    for message in reversed(messages):
        if message.get("role") != "tool":
            break
        trailing.insert(0, message)
    content = last.get("content") or ""
    if isinstance(content, list):  # OpenAI content parts
        content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content), last.get("role"), trailing


def _refused_fields(body: dict[str, Any], vllm: bool) -> str | None:
    """Why a /v1 request with vLLM's extra fields is refused (None: it is not)."""
    given = [name for name in ("continue_final_message", "add_generation_prompt") if name in body]
    if given and not vllm:
        return f"Unrecognized request argument supplied: {given[0]}"
    if body.get("continue_final_message") and body.get("add_generation_prompt", True):
        return "Cannot set both `continue_final_message` and `add_generation_prompt` to True."
    return None


def _tool_names(body: dict[str, Any]) -> set[str]:
    names = set()
    for tool in body.get("tools") or []:
        if isinstance(tool, dict):
            names.add(str((tool.get("function") or {}).get("name", "")))
    return names


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeOllama/" + VERSION
    timeout = 30  # idle keep-alive connections end after this
    server: _HTTPServer

    # --- plumbing -------------------------------------------------------------------------

    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection, True)

    def finish(self) -> None:
        self.server.fake._track(self.connection, False)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read `FakeServer.requests` instead."""

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw.strip() else None
            bad_json = None
        except ValueError as exc:
            body, bad_json = None, str(exc)
        path = self.path.split("?", 1)[0].rstrip("/") or "/"
        headers = {k.lower(): v for k, v in self.headers.items()}
        fake._record(RecordedRequest(self.command, path, headers, body, raw))
        routes = {
            "/": ("GET", "HEAD"),
            "/api/version": ("GET",),
            "/api/tags": ("GET",),
            "/api/ps": ("GET",),
            "/api/show": ("POST",),
            "/api/pull": ("POST",),
            "/api/chat": ("POST",),
            "/v1/chat/completions": ("POST",),
            "/v1/models": ("GET",),
        }
        override = fake._take_override(path)
        if override is not None:
            try:
                return self._raw_answer(override)
            except _Gone:
                fake._count("disconnect")
                self.close_connection = True
                return
        if path not in routes:
            return self._text(404, "404 page not found")
        if self.command not in routes[path]:
            return self._text(405, "405 method not allowed")
        try:
            if path == "/":
                return self._text(200, "Ollama is running")
            if path == "/api/version":
                return self._json(200, {"version": fake.version})
            if path == "/api/tags":
                return self._tags()
            if path == "/api/ps":
                return self._ps()
            if path == "/v1/models":
                return self._v1_models()
            if bad_json is not None:
                return self._fail(path, 400, f"invalid character in request body: {bad_json}")
            if not isinstance(body, dict):
                return self._fail(path, 400, "missing request body")
            if path == "/api/show":
                return self._show(body)
            if path == "/api/pull":
                return self._pull(body)
            return self._chat(body, openai=path.startswith("/v1/"))
        except _Gone:
            fake._count("disconnect")
            self.close_connection = True
        except OSError:
            self.close_connection = True

    def _send(self, status: int, data: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
        except OSError:
            self.close_connection = True

    def _json(self, status: int, obj: Any) -> None:
        self._send(status, json.dumps(obj).encode(), "application/json; charset=utf-8")

    def _text(self, status: int, text: str) -> None:
        self._send(status, text.encode(), "text/plain; charset=utf-8")

    def _fail(
        self, path: str, status: int, message: str, kind: str = "invalid_request_error"
    ) -> None:
        """An error in the form of the endpoint: Ollama `{"error": s}` or OpenAI's object."""
        if path.startswith("/v1/"):
            error = {"message": message, "type": kind, "param": None, "code": None}
            return self._json(status, {"error": error})
        return self._json(status, {"error": message})

    def _start_stream(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        if content_type == "text/event-stream":
            self.send_header("Cache-Control", "no-cache")
        self.end_headers()

    def _write(self, data: bytes) -> None:
        if not data:
            return  # a zero-length chunk would end the body
        try:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        except OSError as exc:
            raise _Gone from exc

    def _end_stream(self) -> None:
        try:
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            self.close_connection = True

    def _client_gone(self, timeout: float) -> bool:
        """Wait up to `timeout` for the client to close; True when it did."""
        try:
            readable, _, _ = select.select([self.connection], [], [], timeout)
            if not readable:
                return False
            peeked = self.connection.recv(1, socket.MSG_PEEK)
        except (OSError, ValueError):
            return True
        if peeked:
            # The client sent something while we stream: not a close; just wait out the time.
            self.server.fake._closing.wait(timeout)
            return False
        return True

    def _pause(self, seconds: float) -> None:
        """Sleep between chunks, noticing a client that goes away (as Ollama does)."""
        closing = self.server.fake._closing
        deadline = time.monotonic() + seconds
        while True:
            remaining = deadline - time.monotonic()
            if closing.is_set():
                raise _Gone
            if remaining <= 0:
                return
            if self._client_gone(min(remaining, 0.25)):
                raise _Gone

    def _hold(self) -> None:
        fake = self.server.fake
        fake.holding.set()
        deadline = time.monotonic() + _HOLD_LIMIT
        while time.monotonic() < deadline:
            if fake._closing.is_set() or self._client_gone(0.02):
                raise _Gone
            if fake._wait_release(0.02):
                return

    # --- endpoints ------------------------------------------------------------------------

    def _tags(self) -> None:
        fake = self.server.fake
        modified = datetime(2025, 6, 1, tzinfo=UTC).isoformat()
        rows = [
            {
                "name": m.name,
                "model": m.name,
                "modified_at": modified,
                "size": m.size,
                "digest": m.digest,
                "details": m.details(),
                "capabilities": m.capabilities,
            }
            for m in list(fake.models.values())
            if m.installed
        ]
        self._json(200, {"models": rows})

    def _ps(self) -> None:
        expires = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
        rows = [
            {
                "name": m.name,
                "model": m.name,
                "size": m.size,
                "digest": m.digest,
                "details": m.details(),
                "expires_at": expires,
                "size_vram": m.size,
                "context_length": self.server.fake.loaded_context(m),
            }
            for m in self.server.fake._loaded_models()
        ]
        self._json(200, {"models": rows})

    def _v1_models(self) -> None:
        fake = self.server.fake
        rows = [
            {"id": m.name, "object": "model", "created": 1748736000, "owned_by": "library"}
            for m in list(fake.models.values())
            if m.installed
        ]
        self._json(200, {"object": "list", "data": rows})

    def _show(self, body: dict[str, Any]) -> None:
        name = str(body.get("model") or body.get("name") or "")
        model = self.server.fake.installed(name) if name else None
        if model is None:
            return self._json(404, {"error": f"model '{name}' not found"})
        arch = model.family
        self._json(
            200,
            {
                "license": "MIT",
                "modelfile": f"FROM {model.name}\n",
                "parameters": "temperature 0.6\ntop_p 0.95",
                "template": "{{ .Prompt }}",
                "details": model.details(),
                "model_info": {
                    "general.architecture": arch,
                    "general.parameter_count": 8_000_000_000,
                    f"{arch}.context_length": model.context_length,
                    f"{arch}.embedding_length": 4096,
                },
                "capabilities": model.capabilities,
                "modified_at": datetime(2025, 6, 1, tzinfo=UTC).isoformat(),
            },
        )

    def _pull(self, body: dict[str, Any]) -> None:
        fake = self.server.fake
        name = str(body.get("model") or body.get("name") or "")
        model = fake.models.get(full_name(name)) if name else None
        if not name:
            return self._json(400, {"error": "model is required"})
        self._start_stream("application/x-ndjson")
        lines: list[dict[str, Any]] = [{"status": "pulling manifest"}]
        if model is None:
            lines.append({"error": "pull model manifest: file does not exist"})
        else:
            layers = [
                (model.size, "model"),
                (11_338, "license"),
                (1_200, "template"),
                (487, "params"),
            ]
            for total, kind in layers:
                digest = hashlib.sha256(f"{model.name}/{kind}".encode()).hexdigest()
                steps = (
                    (0, total // 4, total // 2, total * 3 // 4, total)
                    if total > 10**6
                    else (0, total)
                )
                layer = {"status": f"pulling {digest[:12]}", "digest": f"sha256:{digest}"}
                # Ollama leaves out a zero `completed` (omitempty): a layer's first line.
                lines += [
                    {**layer, "total": total, **({"completed": done} if done else {})}
                    for done in steps
                ]
            lines += [
                {"status": "verifying sha256 digest"},
                {"status": "writing manifest"},
                {"status": "success"},
            ]
            if fake.pull_failure is not None:
                after, message = fake.pull_failure
                lines[after:] = [{"error": message}]
        for i, line in enumerate(lines):
            if i and fake.pull_delay:
                self._pause(fake.pull_delay)
            self._write(json.dumps(line).encode() + b"\n")
        if model is not None and "error" not in lines[-1]:
            model.installed = True
        self._end_stream()

    def _chat(self, body: dict[str, Any], openai: bool) -> None:
        fake = self.server.fake
        path = "/v1/chat/completions" if openai else "/api/chat"
        name = body.get("model")
        if not isinstance(name, str) or not name.strip():
            return self._fail(path, 400, "model is required")
        think = body.get("think")
        valid_think = think is None or isinstance(think, bool) or think in THINK_LEVELS
        if not openai and not valid_think:
            shown = json.dumps(think)
            message = (
                f'invalid think value: {shown} (must be "high", "medium", "low", true, or false)'
            )
            return self._fail(path, 400, message)
        model = fake.installed(name)
        if model is None:
            return self._fail(path, 404, f"model '{name}' not found", "not_found_error")
        thinks = "thinking" in model.capabilities
        if not thinks and think not in (None, False):
            return self._fail(path, 400, f"{json.dumps(name)} does not support thinking")
        if body.get("tools") and "tools" not in model.capabilities:
            message = f"registry.ollama.ai/library/{model.name} does not support tools"
            return self._fail(path, 400, message)
        refused = _refused_fields(body, fake.vllm_fields) if openai else None
        if refused is not None:
            return self._fail(path, 400, refused)
        options = body.get("options")
        num_ctx = options.get("num_ctx") if isinstance(options, dict) else None
        context = num_ctx if isinstance(num_ctx, int) and num_ctx > 0 else None
        fake._loaded(model, context or min(model.context_length, 4096))

        script = fake._next_script() or self._default_script(body, thinks and think is not False)
        if script.auto_prompt and script.chunks and script.chunks[-1].get("done") is True:
            count = prompt_count(body.get("messages") or [], fake.loaded_context(model))
            final = {**script.chunks[-1], "prompt_eval_count": count}
            script = dataclasses.replace(script, chunks=[*script.chunks[:-1], final])
        if script.raw_answer():
            return self._raw_answer(script)
        if script.status >= 400:
            return self._scripted_error(script, name, path)
        if body.get("stream") is False:
            return self._whole(script, name, openai)
        if openai:
            options = body.get("stream_options") or {}
            usage = bool(options.get("include_usage")) if isinstance(options, dict) else False
            plan = with_newline(sse_plan(script, name, usage, fake._serial()), script.newline)
            self._play(script, plan, "text/event-stream")
        else:
            self._play(script, ndjson_plan(script, name), "application/x-ndjson")

    def _default_script(self, body: dict[str, Any], thinks: bool) -> Script:
        fake = self.server.fake
        text, role, tool_messages = _user_text(body)
        if role == "assistant":  # a reply left open for the model to continue
            return reply(content=" and so the reply goes on to its end.", delay=fake.delay)
        if role == "tool":
            results = "; ".join(str(m.get("content", "")) for m in tool_messages)
            return reply(content=f"The tool returned: {results}", delay=fake.delay)
        call = re.fullmatch(r"call (\w+)(?: (\{.*\}))?", text.strip(), re.DOTALL)
        if call and call.group(1) in _tool_names(body):
            arguments = json.loads(call.group(2)) if call.group(2) else {}
            thinking = f"I will call {call.group(1)}." if thinks else ""
            calls = [{"name": call.group(1), "arguments": arguments}]
            return reply(thinking=thinking, tool_calls=calls, delay=fake.delay)
        if fake.long or text.strip().lower().startswith("long"):
            thinking = f"The user said: {text}" if thinks else ""
            return reply(
                thinking=thinking, content=long_markdown(fake.long_tokens), delay=fake.delay
            )
        script = default_reply(text, thinks)
        script.delay = fake.delay
        return script

    def _scripted_error(self, script: Script, model: str, path: str) -> None:
        status, body = script.status, script.body
        if body is None:
            defaults: dict[int, Any] = {
                404: {"error": f"model '{model}' not found"},
                400: {"error": "invalid request"},
                401: {
                    "error": "unauthorized",
                    "signin_url": "https://ollama.com/connect?name=fake",
                },
                405: "405 method not allowed",
                500: {"error": "internal server error"},
                503: {"error": BUSY},
            }
            body = defaults.get(status, {"error": f"error {status}"})
            if path.startswith("/v1/") and isinstance(body, dict):
                body = {"error": {"message": body["error"], "type": "api_error"}}
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
            content_type = script.content_type or "application/json; charset=utf-8"
        else:
            data = body if isinstance(body, bytes) else str(body).encode()
            content_type = script.content_type or "text/plain; charset=utf-8"
        self._send(status, data, content_type)

    def _whole(self, script: Script, model: str, openai: bool) -> None:
        """`stream: false`: one JSON object with the whole reply."""
        if script.error_line:
            return self._fail("/v1/" if openai else "/api/chat", 500, script.error_line)
        thinking = "".join((c.get("message") or {}).get("thinking", "") for c in script.chunks)
        content = "".join((c.get("message") or {}).get("content", "") for c in script.chunks)
        calls = [t for c in script.chunks for t in (c.get("message") or {}).get("tool_calls", [])]
        final = script.chunks[-1] if script.chunks else {}
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if openai:
            if thinking:
                message["reasoning"] = thinking
            choice = {"index": 0, "message": message, "finish_reason": final.get("done_reason")}
            return self._json(
                200, {"object": "chat.completion", "model": model, "choices": [choice]}
            )
        if thinking:
            message["thinking"] = thinking
        if calls:
            message["tool_calls"] = calls
        stats = {k: v for k, v in final.items() if k not in ("message",)}
        self._json(200, {"model": model, "message": message, **stats})

    def _play(self, script: Script, plan: Plan, content_type: str) -> None:
        """Write a planned stream, with the script's delays, cuts and errors."""
        fake = self.server.fake
        units = plan.units
        cut = script.cut()
        if cut is not None:
            units = units[: max(cut, 0)]
        raw_at = script.raw_after if script.raw_line is not None else -1
        self._start_stream(content_type)
        if script.first_delay:
            self._pause(script.first_delay)
        pending: list[bytes] = []
        for i, unit in enumerate(units):
            if i == raw_at:
                pending.append(plan.raw)
            if i == script.hold_after:
                self._write(b"".join(pending))
                pending = []
                self._hold()
            if script.delay and i:
                self._pause(script.delay)
            pending.append(unit)
            if script.delay or sum(map(len, pending)) >= _BATCH:
                self._write(b"".join(pending))
                pending = []
        if raw_at >= len(units):
            pending.append(plan.raw)
        if script.endless is not None:
            self._write(b"".join(pending))
            return self._endless(script.endless)
        if cut is None:
            if script.hold_after is not None and script.hold_after >= len(units):
                self._write(b"".join(pending))
                pending = []
                self._hold()
            if script.delay and units:
                self._pause(script.delay)
            pending.append(plan.final)
        elif script.error_line is not None and cut == script.error_after:
            pending.append(plan.error)
        self._write(b"".join(pending))
        if cut is None:
            fake._count("completed")
        if script.drop_after is not None and cut == script.drop_after:
            self.close_connection = True  # no chunked terminator: the body is cut off
            if script.reset:
                # Linger 0 makes close() send RST, as a crashed server or a middlebox would.
                linger = struct.pack("ii", 1, 0)
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                self.connection.close()
            return
        self._end_stream()

    # --- hostile answers ------------------------------------------------------------------

    def _raw_answer(self, script: Script) -> None:
        """Send `script` as it is: status, headers, body, and its hostile mode (after waiting
        `first_delay` seconds: a slow answer)."""
        if script.first_delay:
            self._pause(script.first_delay)
        body = script.body
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
            content_type = script.content_type or "application/json; charset=utf-8"
        else:
            data = body if isinstance(body, bytes) else str(body or "").encode()
            content_type = script.content_type or "text/plain; charset=utf-8"
        headers = dict(script.headers)
        if script.endless is not None:
            self.send_response(script.status)
            self.send_header("Content-Type", content_type)
            self.send_header("Transfer-Encoding", "chunked")
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self._write(data)
            return self._endless(script.endless)
        if script.gzip_bomb:
            data = _bomb(script.gzip_bomb)
            headers["Content-Encoding"] = "gzip"
        elif script.gzip:
            data = gzip.compress(data)
            headers["Content-Encoding"] = "gzip"
        try:
            self.send_response(script.status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
        except OSError as exc:
            raise _Gone from exc

    def _endless(self, piece: bytes) -> None:
        """Write `piece` until the client hangs up (or the server closes, or a time limit)."""
        fake = self.server.fake
        deadline = time.monotonic() + _HOLD_LIMIT
        sent = 0
        while sent < _ENDLESS_LIMIT and time.monotonic() < deadline:
            if fake._closing.is_set():
                raise _Gone
            self._write(piece)
            sent += len(piece)
        self._end_stream()


@functools.lru_cache(maxsize=4)
def _bomb(size: int) -> bytes:
    """A gzip body that inflates to `size` zero bytes (about a thousandth of it on the wire)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1024 * 1024)
    parts = [
        packer.compress(block[: min(len(block), size - done)])
        for done in range(0, size, len(block))
    ]
    return b"".join(parts) + packer.flush()


def main(argv: list[str] | None = None) -> int:
    """Run the fake server until interrupted; print its URL first."""
    parser = argparse.ArgumentParser(description="Fake Ollama server for termchat tests.")
    parser.add_argument("--port", type=int, default=0, help="port (0: pick a free one)")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds between chunks")
    parser.add_argument("--tps", type=float, default=0.0, help="tokens per second (sets --delay)")
    parser.add_argument("--long", action="store_true", help="every default reply is long Markdown")
    parser.add_argument("--long-tokens", type=int, default=1200, help="size of long replies")
    parser.add_argument("--pull-delay", type=float, default=0.05, help="seconds between pull lines")
    args = parser.parse_args(argv)
    delay = 1.0 / args.tps if args.tps else args.delay
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    server = FakeServer(
        port=args.port,
        delay=delay,
        long=args.long,
        long_tokens=args.long_tokens,
        pull_delay=args.pull_delay,
    )
    print(server.url, flush=True)
    try:
        while not stop.wait(0.2):
            pass
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
