"""The benchmark's stand-in for Ollama: streams answers of any shape on a steady clock, stamping
each chunk as it goes out.

`python benchmarks/standin.py` prints its URL and serves until killed (run it as its own
process: it must not share a GIL with what it measures). A chat whose last user message holds
`shape=NAME` streams `tests/fakeshapes.shape(NAME, tokens)`, with these words as options:

    shape=wide tokens=8000 tps=400 wait=10

- `tokens`: the answer's size (default 2,000); `tps`: tokens a second (0: as fast as the
  socket takes them, BATCH pieces a write); `wait`: seconds of silence before the first token
  (the headers go at once).
- Reasoning is streamed only when the request does not say `"think": false`.

Any other message gets a short echo answer. Pieces are due at `start + i / tps` (no drift);
when the stand-in is late, every piece already due goes out in one write, as a server that fell
behind would send them. After each write the pieces it carried are stamped with
`time.monotonic()` (the system-wide clock, comparable across processes). `GET /_stamps` returns
the last finished stream's stamps: `[[time, thinking chars so far, answer chars so far], ...]`.
`/api/show`, `/api/tags`, `/api/ps` and `/api/version` answer as Ollama does for `qwen3`.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from fakereplies import tokens
from fakeshapes import shape

MODEL = "qwen3"
SHOW = {
    "capabilities": ["completion", "tools", "thinking"],
    "model_info": {"general.architecture": "qwen3", "qwen3.context_length": 40960},
    "details": {"family": "qwen3", "parameter_size": "8.2B", "quantization_level": "Q4_K_M"},
}
BATCH = 256  # pieces a write carries when there is no clock (tps=0): about 30 KB
TAGS = {"models": [{"name": "qwen3:latest", "model": "qwen3:latest", "size": 5_200_000_000}]}


def options(text: str) -> dict[str, str]:
    """The `key=value` words of a message."""
    return dict(word.split("=", 1) for word in text.split() if "=" in word)


def pieces(message: str, think: bool) -> tuple[list[tuple[str, str]], float, float]:
    """The (thinking, content) pieces to stream for `message`, tokens a second, first wait."""
    found = options(message)
    if "shape" not in found:
        return [("", piece) for piece in tokens(f"You said: {message}")], 0.0, 0.0
    thinking, content = shape(found["shape"], int(found.get("tokens", 2000)))
    out = [(piece, "") for piece in tokens(thinking)] if think else []
    out += [("", piece) for piece in tokens(content)]
    return out, float(found.get("tps", 0)), float(found.get("wait", 0))


def chunk_line(thinking: str, content: str) -> bytes:
    """One intermediate /api/chat chunk."""
    message = {"role": "assistant", "content": content}
    if thinking:
        message["thinking"] = thinking
    chunk = {"model": MODEL, "created_at": "2025-01-01T00:00:00Z", "message": message}
    return json.dumps({**chunk, "done": False}, separators=(",", ":")).encode() + b"\n"


def final_line(count: int, tps: float) -> bytes:
    """The done chunk, with Ollama's metrics."""
    duration = int(count / tps * 1e9) if tps else count * 1000
    chunk = {
        "model": MODEL,
        "created_at": "2025-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": ""},
        "done": True,
        "done_reason": "stop",
        "total_duration": duration + 20_000_000,
        "load_duration": 5_000_000,
        "prompt_eval_count": 24,
        "prompt_eval_duration": 12_000_000,
        "eval_count": count,
        "eval_duration": duration,
    }
    return json.dumps(chunk, separators=(",", ":")).encode() + b"\n"


class Stamps:
    """The stamps of the last finished stream (shared by the handler threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: list[tuple[float, int, int]] = []

    def keep(self, stamps: list[tuple[float, int, int]]) -> None:
        with self._lock:
            self._last = stamps

    def last(self) -> list[tuple[float, int, int]]:
        with self._lock:
            return list(self._last)


class Handler(BaseHTTPRequestHandler):
    """One connection; HTTP/1.1 with keep-alive, chunked streams as Ollama sends them."""

    protocol_version = "HTTP/1.1"
    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: the benchmark owns the terminal

    def do_GET(self) -> None:
        answers: dict[str, Any] = {
            "/api/version": {"version": "0.12.6"},
            "/api/tags": TAGS,
            "/api/ps": {"models": []},
            "/_stamps": self.server.stamps.last(),
        }
        if self.path == "/":
            return self._send(200, b"Ollama is running", "text/plain")
        if self.path not in answers:
            return self._send(404, b"404 page not found", "text/plain")
        return self._send(200, json.dumps(answers[self.path]).encode())

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path == "/api/show":
            return self._send(200, json.dumps(SHOW).encode())
        if self.path != "/api/chat":
            return self._send(404, b"404 page not found", "text/plain")
        messages = [m for m in body.get("messages", []) if m.get("role") == "user"]
        text = str(messages[-1].get("content", "")) if messages else ""
        return self._stream(*pieces(text, body.get("think") is not False))

    def _send(self, status: int, data: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, parts: list[tuple[str, str]], tps: float, wait: float) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        lines = [chunk_line(thinking, content) for thinking, content in parts]
        sizes: list[tuple[int, int]] = []
        thought = said = 0
        for thinking, content in parts:
            thought, said = thought + len(thinking), said + len(content)
            sizes.append((thought, said))
        stamps: list[tuple[float, int, int]] = []
        time.sleep(wait)
        start = time.monotonic()
        sent = 0
        try:
            while sent < len(lines):
                due = min(len(lines), sent + (1 if tps else BATCH))
                if tps:
                    wake = start + sent / tps
                    now = time.monotonic()
                    if wake > now:
                        time.sleep(wake - now)
                    # every piece already due goes in this write
                    due = max(due, min(len(lines), int((time.monotonic() - start) * tps) + 1))
                self._chunk(b"".join(lines[sent:due]))
                now = time.monotonic()
                stamps.extend((now, *sizes[index]) for index in range(sent, due))
                sent = due
        except OSError:
            self.close_connection = True  # the client went away: stop, as Ollama does
            return self.server.stamps.keep(stamps)
        # kept before the last chunk goes: a client that has read it can ask for them
        self.server.stamps.keep(stamps)
        try:
            self._chunk(final_line(len(lines), tps))
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            self.close_connection = True

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))


class Server(ThreadingHTTPServer):
    """The stand-in's HTTP server, with the stamps of its streams."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.stamps = Stamps()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that closed its connection is no error (the base prints a traceback)."""
        kind = sys.exc_info()[0]
        if kind is None or not issubclass(kind, OSError):
            super().handle_error(request, client_address)


def main() -> int:
    """Serve until SIGTERM or Ctrl-C; the URL is the first line on stdout."""
    server = Server()
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(0))
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.05)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
