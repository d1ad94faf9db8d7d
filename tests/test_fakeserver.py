"""The fake server itself: Ollama-like routes, validation, wire framing, lifecycle."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fakeserver import FakeServer, long_markdown, tokens

HERE = Path(__file__).parent


def request(
    server: FakeServer, method: str, path: str, body: Any = None, raw: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    host, port = server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        conn.request(method, path, body=data)
        response = conn.getresponse()
        headers = {k.lower(): v for k, v in response.getheaders()}
        return response.status, headers, response.read()
    finally:
        conn.close()


def test_root_and_version(fake_server: FakeServer) -> None:
    assert request(fake_server, "GET", "/")[2] == b"Ollama is running"
    assert json.loads(request(fake_server, "GET", "/api/version")[2]) == {"version": "0.12.6"}


def test_unknown_route_and_wrong_method_are_plain_text(fake_server: FakeServer) -> None:
    status, headers, body = request(fake_server, "GET", "/api/nothing")
    assert (status, body) == (404, b"404 page not found")
    assert headers["content-type"].startswith("text/plain")
    assert request(fake_server, "GET", "/api/chat")[:3:2] == (405, b"405 method not allowed")


@pytest.mark.parametrize(
    ("body", "raw", "status", "error"),
    [
        pytest.param(None, None, 400, "missing request body", id="no-body"),
        pytest.param({"messages": []}, None, 400, "model is required", id="no-model"),
        pytest.param(None, b"{oops", 400, "invalid character", id="bad-json"),
        pytest.param({"model": "x"}, None, 404, "model 'x' not found", id="unknown"),
        pytest.param(
            {"model": "qwen3", "think": "very"}, None, 400, "invalid think value", id="think"
        ),
        pytest.param({"model": "qwen3", "think": 1}, None, 400, "invalid think value", id="int"),
        pytest.param(
            {"model": "llama3.2", "think": "low"},
            None,
            400,
            '"llama3.2" does not support thinking',
            id="no-thinking",
        ),
    ],
)
def test_chat_validation(
    fake_server: FakeServer, body: Any, raw: bytes | None, status: int, error: str
) -> None:
    got_status, _, data = request(fake_server, "POST", "/api/chat", body, raw)
    assert got_status == status
    assert error in json.loads(data)["error"]


def test_stream_is_chunked_ndjson(fake_server: FakeServer) -> None:
    fake_server.queue_reply(content="a<b>&c", token_chars=3)
    body = {"model": "qwen3:latest", "messages": [{"role": "user", "content": "x"}]}
    status, headers, data = request(fake_server, "POST", "/api/chat", body)
    assert status == 200
    assert headers["transfer-encoding"] == "chunked"
    assert headers["content-type"] == "application/x-ndjson"
    lines = data.decode().splitlines()
    assert "\\u003c" in lines[0]  # Go escapes <, > and & like Ollama does
    chunks = [json.loads(line) for line in lines]
    assert "".join(c["message"]["content"] for c in chunks) == "a<b>&c"
    assert [c["done"] for c in chunks] == [False, False, True]
    assert chunks[0]["model"] == "qwen3:latest"
    assert chunks[-1]["done_reason"] == "stop"
    assert chunks[-1]["eval_count"] == 2


def test_stream_false_returns_one_object(fake_server: FakeServer) -> None:
    fake_server.queue_reply(thinking="t", content="hello")
    body = {"model": "qwen3", "messages": [], "stream": False}
    reply = json.loads(request(fake_server, "POST", "/api/chat", body)[2])
    assert reply["message"] == {"role": "assistant", "content": "hello", "thinking": "t"}
    assert reply["done"] is True


def test_default_reply_calls_a_tool_when_asked(fake_server: FakeServer) -> None:
    tool = {"type": "function", "function": {"name": "add", "parameters": {}}}
    messages = [{"role": "user", "content": 'call add {"a": 1}'}]
    body = {"model": "llama3.2", "messages": messages, "tools": [tool]}
    chunks = [
        json.loads(x) for x in request(fake_server, "POST", "/api/chat", body)[2].splitlines()
    ]
    calls = [c for chunk in chunks for c in chunk["message"].get("tool_calls", [])]
    assert calls == [{"function": {"index": 0, "name": "add", "arguments": {"a": 1}}}]
    messages += [{"role": "assistant", "content": "", "tool_calls": calls}]
    messages += [{"role": "tool", "content": "1", "tool_name": "add"}]
    chunks = [
        json.loads(x) for x in request(fake_server, "POST", "/api/chat", body)[2].splitlines()
    ]
    assert "".join(c["message"]["content"] for c in chunks) == "The tool returned: 1"


def test_ps_lists_models_used_in_chats(fake_server: FakeServer) -> None:
    assert json.loads(request(fake_server, "GET", "/api/ps")[2]) == {"models": []}
    request(fake_server, "POST", "/api/chat", {"model": "gemma3", "messages": []})
    [row] = json.loads(request(fake_server, "GET", "/api/ps")[2])["models"]
    assert row["name"] == "gemma3:latest"
    assert {"expires_at", "size_vram", "context_length"} <= row.keys()


def test_openai_usage_only_when_requested(fake_server: FakeServer) -> None:
    body = {"model": "llama3.2", "messages": [{"role": "user", "content": "x"}], "stream": True}
    data = request(fake_server, "POST", "/v1/chat/completions", body)[2].decode()
    assert '"usage"' not in data
    assert data.endswith("data: [DONE]\n\n")
    body["stream_options"] = {"include_usage": True}
    data = request(fake_server, "POST", "/v1/chat/completions", body)[2].decode()
    assert '"choices":[],"usage"' in data


def test_wait_for_requests(fake_server: FakeServer) -> None:
    assert not fake_server.wait_for_requests(1, timeout=0.01)
    request(fake_server, "GET", "/api/tags")
    assert fake_server.wait_for_requests(1, path="/api/tags", timeout=1)


def test_close_ends_idle_keepalive_connections() -> None:
    server = FakeServer()
    host, port = server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request("GET", "/api/version")
    conn.getresponse().read()  # the connection stays open, idle
    server.close()  # must not hang on the idle handler thread
    conn.close()
    assert server.requests[0].path == "/api/version"


def test_long_markdown_has_every_block_kind() -> None:
    text = long_markdown(2000)
    assert 1900 <= len(tokens(text)) <= 2400
    for marker in ("# ", "- ", "1. ", "```python", "```bash", "| Approach |", "> "):
        assert marker in text
    assert "".join(tokens(text)) == text
    assert "".join(tokens(text, 5)) == text


def test_standalone_prints_url_and_serves() -> None:
    process = subprocess.Popen(
        [sys.executable, str(HERE / "fakeserver.py"), "--port", "0", "--tps", "1000"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        host, port = url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        conn.request("GET", "/")
        assert conn.getresponse().read() == b"Ollama is running"
        conn.close()
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
        if process.stdout:
            process.stdout.close()
