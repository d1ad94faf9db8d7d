"""OLLAMA_HOST parsing follows the Ollama server's rules; loopback detection."""

from __future__ import annotations

import pytest

from termchat.backends.host import is_loopback, parse_ollama_host


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, "http://127.0.0.1:11434", id="unset"),
        pytest.param("", "http://127.0.0.1:11434", id="empty"),
        pytest.param("   ", "http://127.0.0.1:11434", id="blank"),
        pytest.param("1.2.3.4", "http://1.2.3.4:11434", id="bare-ip"),
        pytest.param("example.com", "http://example.com:11434", id="bare-host"),
        pytest.param("example.com:1234", "http://example.com:1234", id="host-port"),
        pytest.param(":1234", "http://127.0.0.1:1234", id="port-only"),
        pytest.param("http://example.com", "http://example.com:80", id="http-default-80"),
        pytest.param("https://example.com", "https://example.com:443", id="https-default-443"),
        pytest.param("https://example.com:8443", "https://example.com:8443", id="https-port"),
        pytest.param("http://1.2.3.4:56789", "http://1.2.3.4:56789", id="http-ip-port"),
        pytest.param("example.com/path", "http://example.com:11434/path", id="path-kept"),
        pytest.param(
            "https://example.com/ollama/", "https://example.com:443/ollama", id="path-trailing"
        ),
        pytest.param("example.com:56789/a/b", "http://example.com:56789/a/b", id="port-and-path"),
        pytest.param("  1.2.3.4  ", "http://1.2.3.4:11434", id="spaces"),
        pytest.param('"1.2.3.4"', "http://1.2.3.4:11434", id="double-quotes"),
        pytest.param("'1.2.3.4'", "http://1.2.3.4:11434", id="single-quotes"),
        pytest.param(' "http://h:9" ', "http://h:9", id="spaces-and-quotes"),
        pytest.param("0.0.0.0", "http://127.0.0.1:11434", id="wildcard-v4"),
        pytest.param("0.0.0.0:8080", "http://127.0.0.1:8080", id="wildcard-v4-port"),
        pytest.param("[::]", "http://[::1]:11434", id="wildcard-v6"),
        pytest.param("[::]:11435", "http://[::1]:11435", id="wildcard-v6-port"),
        pytest.param("[::1]:1234", "http://[::1]:1234", id="ipv6-port"),
        pytest.param("::1", "http://[::1]:11434", id="ipv6-bare"),
        pytest.param("ollama.com", "https://ollama.com:443", id="ollama-cloud"),
        pytest.param("example.com:port", "http://example.com:11434", id="bad-port"),
        pytest.param("example.com:99999", "http://example.com:11434", id="port-too-big"),
    ],
)
def test_parse_ollama_host_matches_ollama_rules(value: str | None, expected: str) -> None:
    assert parse_ollama_host(value) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("http://127.0.0.1:11434", True, id="v4-loopback"),
        pytest.param("http://127.8.9.10:1", True, id="v4-loopback-net"),
        pytest.param("http://localhost:11434", True, id="localhost"),
        pytest.param("http://LOCALHOST", True, id="localhost-upper"),
        pytest.param("http://[::1]:11434", True, id="v6-loopback"),
        pytest.param("http://0.0.0.0:11434", True, id="wildcard"),
        pytest.param("127.0.0.1:11434", True, id="no-scheme"),
        pytest.param("http://192.168.1.10:11434", False, id="lan"),
        pytest.param("https://ollama.com:443", False, id="cloud"),
        pytest.param("http://localhost.example.com", False, id="lookalike"),
        pytest.param("http://[fe80::1]:1", False, id="v6-link-local"),
    ],
)
def test_is_loopback(url: str, expected: bool) -> None:
    assert is_loopback(url) is expected
