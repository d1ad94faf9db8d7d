"""Tests for fetch_url against a loopback stdlib HTTP server."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from termchat.errors import ToolError
from termchat.tools.web import fetch_url_tool, html_to_text

PAGE = b"""<!doctype html><html><head><title>The  Title</title>
<style>body { color: red }</style><script>alert("x")</script></head>
<body><h1>Header</h1><p>First   paragraph &amp; more.</p>
<ul><li>one</li><li>two</li></ul><noscript>enable js</noscript></body></html>"""

ROUTES: dict[str, tuple[int, str, bytes]] = {
    "/page.html": (200, "text/html; charset=utf-8", PAGE),
    "/plain.txt": (200, "text/plain; charset=latin-1", "café".encode("latin-1")),
    "/data.json": (200, "application/json", b'{"a": 1}'),
    "/image.png": (200, "image/png", b"\x89PNG\r\n\x1a\n\0\0"),
    "/big.txt": (200, "text/plain", b"x" * 5000),
}


class Handler(BaseHTTPRequestHandler):
    release: threading.Event

    def do_GET(self) -> None:
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/plain.txt")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/slow":
            self.release.wait(10)
        status, ctype, body = ROUTES.get(self.path, (404, "text/plain", b"not here"))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up (the timeout test) is expected here


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    Handler.release = threading.Event()
    server = QuietServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        Handler.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


def fetch(url: str, **options: float) -> str:
    return asyncio.run(fetch_url_tool(**options)({"url": url}))  # type: ignore[arg-type]


def test_fetch_url_html_becomes_readable_text(base_url: str) -> None:
    assert fetch(f"{base_url}/page.html") == (
        "The Title\n\nHeader\n\nFirst paragraph & more.\n\n- one\n\n- two"
    )


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("/plain.txt", "café", id="charset"),
        pytest.param("/data.json", '{"a": 1}', id="json"),
        pytest.param("/redirect", "café", id="redirect"),
    ],
)
def test_fetch_url_returns_text(base_url: str, path: str, expected: str) -> None:
    assert fetch(base_url + path) == expected


def test_fetch_url_caps_size(base_url: str) -> None:
    text = fetch(f"{base_url}/big.txt", max_bytes=1000)
    assert text == "x" * 1000 + "\n[truncated: the download stopped after 1000 bytes]"
    text = fetch(f"{base_url}/big.txt", max_chars=100)
    assert text == "x" * 100 + "\n[truncated: showing the first 100 characters]"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param("file:///etc/passwd", "only http:// and https://", id="file-scheme"),
        pytest.param("ftp://example.com/x", "only http:// and https://", id="ftp"),
        pytest.param("http://", "only http:// and https://", id="no-host"),
        pytest.param("{base}/missing", "HTTP 404 Not Found", id="404"),
        pytest.param("{base}/image.png", "image/png, not text", id="binary"),
    ],
)
def test_fetch_url_rejects(base_url: str, url: str, message: str) -> None:
    with pytest.raises(ToolError, match=message):
        fetch(url.format(base=base_url))


def test_fetch_url_times_out(base_url: str) -> None:
    with pytest.raises(ToolError, match=r"timed out after 0\.2 s"):
        fetch(f"{base_url}/slow", timeout=0.2)


def test_fetch_url_connection_refused_is_tool_error() -> None:
    with pytest.raises(ToolError, match=r"cannot fetch http://127\.0\.0\.1:9/"):
        fetch("http://127.0.0.1:9/")


def test_html_to_text_without_title() -> None:
    assert html_to_text("<div>a<br>b</div><pre>x</pre>") == "a\nb\n\nx"
