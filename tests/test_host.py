"""OLLAMA_HOST parsing follows the Ollama server's rules, refusing what cannot be an address;
OpenAI base URLs; loopback detection; credentials never shown; the plain-http key warning."""

from __future__ import annotations

import pytest

from termchat.backends.host import (
    is_loopback,
    parse_base_url,
    parse_ollama_host,
    plain_http_key_warning,
    redact,
)
from termchat.errors import ConfigError


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
        pytest.param("example.com:", "http://example.com:11434", id="empty-port-default"),
        pytest.param("HTTPS://example.com", "https://example.com:443", id="scheme-any-case"),
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


BAD_ADDRESSES = [
    pytest.param("http://user:secret@127.0.0.1:9", "user name or password", id="userinfo"),
    pytest.param("user:secret@example.com", "user name or password", id="userinfo-no-scheme"),
    pytest.param("https://a:s3cr@t@example.com/x", "user name or password", id="at-in-password"),
    pytest.param("127.0.0.1\n:9", "line break", id="newline"),
    pytest.param("example.com\x1b]52;c;x\x07", "control", id="escape"),
    pytest.param("exa mple.com", "space", id="inner-space"),
    pytest.param("example.com:99999", "1 to 65535", id="port-too-big"),
    pytest.param("example.com:0", "1 to 65535", id="port-zero"),
    pytest.param("example.com:port", "1 to 65535", id="port-not-a-number"),
    pytest.param("example.com:\u0663", "1 to 65535", id="port-arabic-digit"),
    pytest.param("ftp://example.com", "http:// or https://", id="other-scheme"),
]


@pytest.mark.parametrize(("value", "reason"), BAD_ADDRESSES)
def test_parse_ollama_host_refuses_what_cannot_be_an_address(value: str, reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_ollama_host(value)
    message = str(caught.value)
    assert reason in message
    assert "\n" not in message and "\x1b" not in message  # one line, no raw controls
    assert "secret" not in message and "s3cr" not in message


@pytest.mark.parametrize(("value", "reason"), BAD_ADDRESSES)
def test_parse_base_url_refuses_the_same(value: str, reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_base_url(value)
    assert reason in str(caught.value)
    assert "secret" not in str(caught.value) and "s3cr" not in str(caught.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("http://127.0.0.1:8000/v1/", "http://127.0.0.1:8000/v1", id="slash"),
        pytest.param(" 'https://api.example.com/v1' ", "https://api.example.com/v1", id="quoted"),
        pytest.param("localhost:8000/v1", "http://localhost:8000/v1", id="no-scheme"),
        pytest.param("http://[::1]:8000/v1", "http://[::1]:8000/v1", id="ipv6"),
    ],
)
def test_parse_base_url_tidies(value: str, expected: str) -> None:
    assert parse_base_url(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "failed: http://bob:hunter2@h:1/x", "failed: http://***@h:1/x", id="in-a-sentence"
        ),
        pytest.param("https://t@h", "https://***@h", id="user-only"),
        pytest.param("mail bob@example.com", "mail bob@example.com", id="not-a-url"),
        pytest.param("http://h/path@x", "http://h/path@x", id="at-in-path"),
    ],
)
def test_redact_hides_credentials_in_urls(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    ("url", "key", "warned"),
    [
        pytest.param("http://192.168.1.5:11434", "k", True, id="lan-http"),
        pytest.param("http://gpu.example.com:8000/v1", "k", True, id="remote-http"),
        pytest.param("https://ollama.com:443", "k", False, id="https"),
        pytest.param("http://127.0.0.1:11434", "k", False, id="loopback"),
        pytest.param("http://[::1]:8000/v1", "k", False, id="loopback-v6"),
        pytest.param("http://192.168.1.5:11434", None, False, id="no-key"),
    ],
)
def test_plain_http_key_warning(url: str, key: str | None, warned: bool) -> None:
    warning = plain_http_key_warning(url, key)
    assert (warning is not None) is warned
    if warning:
        assert "https" in warning and url.split("//")[1].split("/")[0] in warning
