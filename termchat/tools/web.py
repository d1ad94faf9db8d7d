"""The fetch_url built-in: an HTTP(S) GET whose body comes back as readable text."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import urljoin

from termchat import __version__
from termchat.errors import ToolError
from termchat.tools.netguard import HostGuard, Resolver, Target, address_kind
from termchat.tools.registry import Tool
from termchat.tools.schema import tool_from_function

FETCH_BYTES = 1024 * 1024
FETCH_CHARS = 64 * 1024
FETCH_TIMEOUT = 20.0
MAX_REDIRECTS = 5
_ACCEPT = "text/html, text/*;q=0.9, */*;q=0.5"

_TEXT_TYPES = {
    "application/json",
    "application/xml",
    "application/xhtml+xml",
    "application/javascript",
    "application/x-javascript",
    "application/ecmascript",
    "application/x-yaml",
    "application/yaml",
    "application/toml",
}
_HTML_TYPES = {"text/html", "application/xhtml+xml"}


def _is_text(mime: str, head: bytes) -> bool:
    if mime.startswith("text/") or mime in _TEXT_TYPES:
        return True
    if mime.endswith(("+json", "+xml")):
        return True
    return not mime and b"\0" not in head[:1024]


def fetch_url_tool(
    *,
    timeout: float = FETCH_TIMEOUT,
    max_bytes: int = FETCH_BYTES,
    max_chars: int = FETCH_CHARS,
    allow_hosts: Sequence[str] = (),
    resolve: Resolver | None = None,
) -> Tool:
    """The fetch_url tool (policy: ask).

    Args:
        timeout: Seconds for the whole fetch.
        max_bytes: Download at most this much.
        max_chars: Return at most this many characters of text.
        allow_hosts: Hosts it may reach although they are internal (see `netguard.HostGuard`).
        resolve: How names are resolved; the system resolver by default.
    """
    guard = HostGuard(allow_hosts, resolve)

    async def fetch_url(url: str) -> str:
        """Fetch a web page or text file over HTTP(S) and return its text (HTML is made readable).

        Args:
            url: An http:// or https:// URL.
        """
        import httpx  # here: the tool is offered at start-up, httpx loads when it is used

        url = url.strip()
        try:
            async with asyncio.timeout(timeout):
                body, mime, encoding, truncated = await _download(guard, url, max_bytes, timeout)
        except TimeoutError:
            raise ToolError(f"fetching {url} timed out after {timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise ToolError(f"cannot fetch {url}: {exc or type(exc).__name__}") from None
        if not _is_text(mime, body):
            raise ToolError(
                f"{url} is {mime or 'binary data'}, not text; fetch_url returns text only"
            )
        try:
            text = body.decode(encoding, errors="replace")
        except LookupError:
            text = body.decode("utf-8", errors="replace")
        if mime in _HTML_TYPES or (
            not mime and text.lstrip()[:15].lower().startswith(("<!doctype html", "<html"))
        ):
            from termchat.tools.htmltext import html_to_text  # only when a page is HTML

            text = html_to_text(text)
        if len(text) > max_chars:
            text = text[:max_chars] + f"\n[truncated: showing the first {max_chars} characters]"
        elif truncated:
            text += f"\n[truncated: the download stopped after {max_bytes} bytes]"
        return text

    return tool_from_function(fetch_url, "builtin", read_only=True)


def _env_proxy(target: Target) -> str | None:
    """The proxy the environment names for this hop (never for loopback), or None."""
    if any(address_kind(a) == "loopback" for a in target.addresses):
        return None
    import urllib.request  # http.client and email with it: only when a tool fetches

    proxies = urllib.request.getproxies_environment()
    if not proxies or urllib.request.proxy_bypass(target.host):
        return None
    return proxies.get(target.scheme) or proxies.get("all")


async def _download(
    guard: HostGuard, url: str, max_bytes: int, timeout: float
) -> tuple[bytes, str, str, bool]:
    """GET `url`, following redirects by hand so that each hop is checked.

    Returns:
        The body (up to max_bytes), its MIME type and charset, and whether it was cut.
    """
    for _ in range(MAX_REDIRECTS + 1):
        target = await guard.check(url)
        async with _open(target, url, timeout) as response:
            if 300 <= response.status_code < 400 and response.status_code != 304:
                location = response.headers.get("location")
                if not location:
                    raise ToolError(f"HTTP {response.status_code} without a Location from {url}")
                url = urljoin(url, location)
                continue
            if response.status_code >= 400:
                raise ToolError(f"HTTP {response.status_code} {response.reason_phrase} for {url}")
            mime = response.headers.get("content-type", "").split(";")[0].strip().lower()
            body = bytearray()
            truncated = False
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    del body[max_bytes:]
                    truncated = True
                    break
            return bytes(body), mime, response.charset_encoding or "utf-8", truncated
    raise ToolError(f"more than {MAX_REDIRECTS} redirects, the last to {url}")


@contextlib.asynccontextmanager
async def _open(target: Target, url: str, timeout: float) -> AsyncIterator[Any]:
    """A streamed GET of `url` sent to one of the target's checked addresses.

    The request goes to the address itself, with the URL's host in the Host header and as the
    TLS server name, so certificates are still checked against the name. Through a proxy the
    proxy connects (and resolves) instead; the name was checked all the same.
    """
    import httpx

    headers = {"User-Agent": f"termchat/{__version__}", "Accept": _ACCEPT}
    proxy = _env_proxy(target)
    # The client ignores the environment (its proxies are decided above); the transport still
    # reads SSL_CERT_FILE / SSL_CERT_DIR for the certificates to trust.
    transport = httpx.AsyncHTTPTransport(proxy=proxy, trust_env=True)
    async with httpx.AsyncClient(timeout=timeout, trust_env=False, transport=transport) as client:
        if proxy is not None:
            async with client.stream("GET", url, headers=headers) as response:
                yield response
            return
        original = httpx.URL(url)
        headers["Host"] = original.netloc.decode("ascii")
        extensions = (
            {"sni_hostname": original.raw_host.decode("ascii")} if target.scheme == "https" else {}
        )
        failure: httpx.ConnectError | None = None
        for address in target.addresses:
            request = client.build_request(
                "GET", original.copy_with(host=str(address)), headers=headers,
                extensions=extensions,
            )  # fmt: skip
            try:
                response = await client.send(request, stream=True)
            except httpx.ConnectError as exc:  # the next address may answer
                failure = exc
                continue
            try:
                yield response
            finally:
                await response.aclose()
            return
        assert failure is not None
        raise failure
