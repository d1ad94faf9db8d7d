"""OLLAMA_HOST parsing, by the Ollama server's own rules, and loopback detection."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

DEFAULT_HOST = "http://127.0.0.1:11434"
_DEFAULT_PORT = {"http": "80", "https": "443"}
# Hosts a server binds to meaning "every interface"; a client connects to loopback instead.
_WILDCARD = {"0.0.0.0": "127.0.0.1", "::": "::1"}


def parse_ollama_host(value: str | None) -> str:
    """Turn an OLLAMA_HOST value into a base URL the way Ollama does.

    Args:
        value: The raw variable (may be None, empty, quoted or padded).

    Returns:
        A base URL such as ``http://127.0.0.1:11434`` with no trailing slash.
    """
    text = (value or "").strip().strip("\"'").strip()
    if not text:
        return DEFAULT_HOST
    scheme, sep, hostport = text.partition("://")
    default_port = "11434"
    if not sep:
        scheme, hostport = "http", text
        if text == "ollama.com":
            scheme, hostport = "https", "ollama.com:443"
    else:
        scheme = scheme.lower()
        default_port = _DEFAULT_PORT.get(scheme, default_port)

    hostport, _, path = hostport.partition("/")
    host, port = _split_host_port(hostport)
    if host is None:
        # Not host:port: a bare host or IP (maybe bracketed), or nothing at all.
        port = default_port
        bare = hostport.strip("[]")
        host = _canonical_ip(bare) or hostport or "127.0.0.1"
    if not host:
        host = "127.0.0.1"
    if not port.isdigit() or int(port) > 65535:
        port = default_port

    host = _WILDCARD.get(host, host)
    if ":" in host:
        host = f"[{host}]"
    url = f"{scheme}://{host}:{port}"
    path = path.rstrip("/")
    return f"{url}/{path}" if path else url


def _split_host_port(hostport: str) -> tuple[str | None, str]:
    """Go's net.SplitHostPort: (host, port), or (None, "") when the text has no port."""
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0 or not hostport[end + 1 :].startswith(":"):
            return None, ""
        return hostport[1:end], hostport[end + 2 :]
    host, sep, port = hostport.rpartition(":")
    if not sep or ":" in host:
        return None, ""
    return host, port


def _canonical_ip(text: str) -> str | None:
    """The canonical spelling of an IP address, or None when `text` is not one."""
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def is_loopback(url: str) -> bool:
    """Whether a URL points at this machine (127.0.0.0/8, ::1, localhost, or a wildcard address).

    Args:
        url: A base URL such as the result of `parse_ollama_host`.
    """
    try:
        host = urlsplit(url if "://" in url else f"http://{url}").hostname
    except ValueError:
        return False
    if not host:
        return False
    host = host.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified
