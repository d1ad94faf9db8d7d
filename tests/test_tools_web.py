"""Tests for fetch_url against a loopback stdlib HTTP server."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from termchat.errors import ToolError
from termchat.tools.htmltext import html_to_text
from termchat.tools.web import fetch_url_tool

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
    hosts: list[str]

    def redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        self.hosts.append(self.headers.get("Host", ""))
        port = self.server.server_address[1]
        if self.path == "/redirect":
            return self.redirect("/plain.txt")
        if self.path == "/redirect-internal":  # to a spelling of this host that is not allowed
            return self.redirect(f"http://localhost:{port}/plain.txt")
        if self.path.startswith("http://public.test/"):  # asked as a proxy
            self.path = "/plain.txt"
        if self.path.startswith("/loop"):
            return self.redirect(f"/loop{int(self.path[5:] or 0) + 1}")
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
    Handler.hosts = []
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


def fetch(url: str, **options: Any) -> str:
    """Fetch with the test server's address allowed (it is on loopback, refused by default)."""
    port = urlsplit(url).port
    options.setdefault("allow_hosts", [f"127.0.0.1:{port}"] if port else [])
    return asyncio.run(fetch_url_tool(**options)({"url": url}))


@pytest.fixture
def port(base_url: str) -> int:
    return urlsplit(base_url).port or 0


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


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        pytest.param("localhost", "loopback", id="localhost"),
        pytest.param("LOCALHOST.", "loopback", id="localhost-dot"),
        pytest.param("127.0.0.1", "loopback", id="dotted"),
        pytest.param("127.1", "loopback", id="short"),
        pytest.param("2130706433", "loopback", id="decimal"),
        pytest.param("0x7f.1", "loopback", id="hex"),
        pytest.param("0177.0.0.1", "loopback", id="octal"),
        pytest.param("[::ffff:127.0.0.1]", "loopback", id="v4-mapped"),
        pytest.param("[::1]", "loopback", id="v6"),
        pytest.param("0.0.0.0", "unspecified", id="zeros"),
        pytest.param("[::]", "unspecified", id="v6-zeros"),
        pytest.param("169.254.169.254", "link-local", id="cloud-metadata"),
        pytest.param("[fe80::1]", "link-local", id="v6-link-local"),
        pytest.param("10.1.2.3", "private", id="ten"),
        pytest.param("172.16.0.1", "private", id="172"),
        pytest.param("192.168.0.1", "private", id="192"),
        pytest.param("[fd12:3456::1]", "unique-local", id="ula"),
        pytest.param("100.64.0.1", "non-public", id="shared"),
    ],
)
def test_fetch_url_refuses_internal_addresses(port: int, host: str, kind: str) -> None:
    tool = fetch_url_tool(timeout=2)
    with pytest.raises(ToolError, match=rf"refused: .* is an? {kind} address") as info:
        asyncio.run(tool({"url": f"http://{host}:{port}/plain.txt"}))
    assert "fetch_allow_hosts" in str(info.value)


def test_fetch_url_allowed_host_works_and_only_on_its_port(port: int) -> None:
    url = f"http://localhost:{port}/plain.txt"
    assert fetch(url, allow_hosts=[f"localhost:{port}"]) == "café"
    assert fetch(url, allow_hosts=["localhost"]) == "café"  # no port: any port
    with pytest.raises(ToolError, match="refused"):
        fetch(url, allow_hosts=[f"localhost:{port + 1}"])


def test_fetch_url_checks_every_redirect(port: int) -> None:
    with pytest.raises(ToolError, match=r"refused: localhost is a loopback address"):
        fetch(f"http://127.0.0.1:{port}/redirect-internal")
    both = [f"127.0.0.1:{port}", f"localhost:{port}"]
    assert fetch(f"http://127.0.0.1:{port}/redirect-internal", allow_hosts=both) == "café"


def test_fetch_url_stops_after_five_redirects(port: int) -> None:
    with pytest.raises(ToolError, match="more than 5 redirects"):
        fetch(f"http://127.0.0.1:{port}/loop")


def test_fetch_url_connects_to_the_address_it_checked(port: int) -> None:
    """The name is resolved once, by termchat: nothing can re-resolve it to somewhere else."""
    answers = {"pinned.test": ["127.0.0.1"]}
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return answers.pop(host)  # a second lookup would fail the fetch

    Handler.hosts.clear()
    url = f"http://pinned.test:{port}/plain.txt"
    assert fetch(url, allow_hosts=[f"pinned.test:{port}"], resolve=resolve) == "café"
    assert asked == ["pinned.test"]
    assert Handler.hosts == [f"pinned.test:{port}"]


def test_fetch_url_public_host_goes_through_the_environment_proxy(
    port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{port}")
    addresses = {"public.test": ["93.184.216.34"], "inside.test": ["10.0.0.8"]}

    async def resolve(host: str, port: int) -> list[str]:
        return addresses[host]

    assert fetch("http://public.test/page", resolve=resolve) == "café"
    with pytest.raises(ToolError, match=r"refused: inside.test is a private address \(10.0.0.8\)"):
        fetch("http://inside.test/page", resolve=resolve)


def test_html_to_text_without_title() -> None:
    assert html_to_text("<div>a<br>b</div><pre>x</pre>") == "a\nb\n\nx"
