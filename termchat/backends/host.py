"""Server addresses: OLLAMA_HOST parsing by the Ollama server's rules, OpenAI base URLs,
loopback detection, and keeping credentials in a URL out of sight."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from termchat.errors import ConfigError

DEFAULT_HOST = "http://127.0.0.1:11434"
OPENAI_DEFAULT = "http://127.0.0.1:8000/v1"  # vLLM's and llama.cpp's usual address
_DEFAULT_PORT = {"http": "80", "https": "443"}
# Hosts a server binds to meaning "every interface"; a client connects to loopback instead.
_WILDCARD = {"0.0.0.0": "127.0.0.1", "::": "::1"}
# Spaces, C0/C1 controls, DEL and the Unicode line and paragraph separators.
_UNSAFE = re.compile("[\\s\x00-\x1f\x7f-\x9f\u2028\u2029]")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s]*@")


def parse_ollama_host(value: str | None) -> str:
    """Turn an OLLAMA_HOST value into a base URL the way Ollama does, refusing what it cannot be.

    Args:
        value: The raw variable (may be None, empty, quoted or padded).

    Returns:
        A base URL such as ``http://127.0.0.1:11434`` with no trailing slash.

    Raises:
        ConfigError: The address holds a control character or space, a user name or
            password, a port that is not a number from 1 to 65535, or a scheme other than
            http and https.
    """
    text = (value or "").strip().strip("\"'").strip()
    if not text:
        return DEFAULT_HOST
    _check_text(text)
    scheme, sep, hostport = text.partition("://")
    default_port = "11434"
    if not sep:
        scheme, hostport = "http", text
        if text == "ollama.com":
            scheme, hostport = "https", "ollama.com:443"
    else:
        scheme = _check_scheme(text, scheme)
        default_port = _DEFAULT_PORT[scheme]

    hostport, _, path = hostport.partition("/")
    _check_userinfo(text, hostport)
    host, port = _split_host_port(hostport)
    if host is None:
        # Not host:port: a bare host or IP (maybe bracketed), or nothing at all.
        port = default_port
        bare = hostport.strip("[]")
        host = _canonical_ip(bare) or hostport or "127.0.0.1"
    if not host:
        host = "127.0.0.1"
    _check_port(text, port)
    port = port or default_port

    host = _WILDCARD.get(host, host)
    if ":" in host:
        host = f"[{host}]"
    url = f"{scheme}://{host}:{port}"
    path = path.rstrip("/")
    return f"{url}/{path}" if path else url


def parse_base_url(value: str) -> str:
    """Check an OpenAI-compatible base URL (``http://host:8000/v1``) and tidy it.

    Spaces and quotes around it and a trailing slash are dropped; without a scheme, http is
    meant.

    Raises:
        ConfigError: As for `parse_ollama_host`.
    """
    text = value.strip().strip("\"'").strip()
    if not text:
        raise ConfigError("The server address is empty.")
    _check_text(text)
    scheme, sep, rest = text.partition("://")
    if sep:
        scheme = _check_scheme(text, scheme)
    else:
        scheme, rest = "http", text
    hostport = rest.partition("/")[0]
    _check_userinfo(text, hostport)
    host, port = _split_host_port(hostport)
    if host is not None:
        _check_port(text, port)
    elif not hostport.strip("[]"):
        raise ConfigError(f"The server address {shown(text)} names no host.")
    return f"{scheme}://{rest}".rstrip("/")


def _check_text(text: str) -> None:
    if _UNSAFE.search(text):
        raise ConfigError(
            f"The server address {shown(text)} holds a space, a line break or another control "
            "character."
        )


def _check_scheme(text: str, scheme: str) -> str:
    scheme = scheme.lower()
    if scheme not in _DEFAULT_PORT:
        raise ConfigError(f"The server address {shown(text)} must start with http:// or https://.")
    return scheme


def _check_userinfo(text: str, hostport: str) -> None:
    if "@" in hostport:
        raise ConfigError(
            f"The server address {shown(text)} holds a user name or password; termchat does not "
            "send credentials in the address (an API key goes in OLLAMA_API_KEY, OPENAI_API_KEY "
            "or api_key in the config file)."
        )


def _check_port(text: str, port: str) -> None:
    if port and not (port.isascii() and port.isdigit() and 0 < int(port) <= 65535):
        raise ConfigError(
            f"The server address {shown(text)} has port {port[:12]!r}: a port is a number from "
            "1 to 65535."
        )


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


def redact(text: str) -> str:
    """`text` with the user name and password of every URL in it replaced by `***`."""
    return _USERINFO.sub(r"\1***@", text) if "@" in text else text


def shown(address: str) -> str:
    """An address as it may be printed in a message: credentials hidden, controls escaped."""
    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "", address
    if "@" in rest:
        rest = "***@" + rest.rpartition("@")[2]
    text = scheme + sep + rest
    return repr(text if len(text) <= 200 else text[:199] + "…")


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


def plain_http_key_warning(url: str, api_key: str | None) -> str | None:
    """The warning to show once when an API key would cross the network unencrypted.

    Returns:
        A one-line warning when `api_key` is set and `url` is plain http to another machine;
        None otherwise.
    """
    if not api_key or not url.lower().startswith("http://") or is_loopback(url):
        return None
    host = urlsplit(url).netloc
    return (
        f"The API key is sent to {host} over plain http: anyone on the way can read it. "
        "Use an https:// address for this server."
    )
