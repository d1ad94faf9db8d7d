"""Which addresses fetch_url may reach: public ones, plus the hosts the user allows by name.

Every hop of a fetch is checked on the address its host RESOLVES to, so no spelling of an
internal address gets through (`localhost`, `0.0.0.0`, `2130706433`, `0x7f.1`,
`[::ffff:127.0.0.1]`, a public name that points inside), and the fetch then connects to exactly
the address that was checked: a second lookup cannot return something else (DNS rebinding).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from termchat.config import split_host_port
from termchat.errors import ToolError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]
"""Host and port in, addresses (as text) out; raises OSError when the name does not resolve."""

_UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def address_kind(address: IPAddress) -> str | None:
    """Why `address` is off limits ("loopback", "private", ...), or None for a public one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address_kind(address.ipv4_mapped)
    if address.is_loopback:
        return "loopback"
    if address.is_unspecified:
        return "unspecified"
    if address.is_link_local:  # 169.254.0.0/16 holds the cloud metadata services
        return "link-local"
    if isinstance(address, ipaddress.IPv6Address) and address in _UNIQUE_LOCAL:
        return "unique-local"
    if address.is_private:
        return "private"
    if address.is_multicast:
        return "multicast"
    if not address.is_global:  # shared (100.64/10), reserved, documentation ranges
        return "non-public"
    return None


def normalize_host(host: str) -> str:
    """Lower case, no trailing dot, an IP address in its canonical spelling."""
    host = host.strip("[]").rstrip(".").lower()
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


async def system_resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host`, in its order, without repeats."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class Target:
    """One checked hop: where the URL points and the addresses it may be fetched from.

    Attributes:
        scheme: "http" or "https".
        host: The host as normalized (see `normalize_host`).
        port: The port, explicit or the scheme's default.
        addresses: The checked addresses, in the resolver's order.
        allowed: The host is listed in `fetch_allow_hosts`.
    """

    scheme: str
    host: str
    port: int
    addresses: tuple[IPAddress, ...]
    allowed: bool


class HostGuard:
    """Checks URLs against the address rules and the user's allowed hosts.

    Args:
        allow_hosts: `host` or `host:port` entries (config `fetch_allow_hosts`) that may be
            reached even when they resolve to an internal address; no port means any port.
        resolve: How names are resolved; the system resolver by default.
    """

    def __init__(self, allow_hosts: Iterable[str] = (), resolve: Resolver | None = None) -> None:
        self.allowed = {
            (normalize_host(host), port) for host, port in map(split_host_port, allow_hosts)
        }
        self.resolve = resolve or system_resolve

    async def check(self, url: str) -> Target:
        """Resolve the URL's host and check every address it has.

        Raises:
            ToolError: Not an http(s) URL, a name that does not resolve, or an address that
                is internal (loopback, private, link-local, ...) on a host not allowed.
        """
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise ToolError(f"not a valid URL: {exc}") from None
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ToolError("only http:// and https:// URLs can be fetched")
        host = normalize_host(parts.hostname)
        port = port or _DEFAULT_PORTS[parts.scheme]
        allowed = (host, port) in self.allowed or (host, None) in self.allowed
        try:
            found = await self.resolve(host, port)
            addresses = tuple(ipaddress.ip_address(a.split("%")[0]) for a in found)
        except (OSError, UnicodeError, ValueError) as exc:
            raise ToolError(f"cannot resolve {host}: {exc}") from None
        if not addresses:
            raise ToolError(f"cannot resolve {host}: no address")
        if not allowed:
            for address in addresses:
                kind = address_kind(address)
                if kind is not None:
                    article = "an" if kind == "unspecified" else "a"
                    raise ToolError(
                        f"refused: {host} is {article} {kind} address ({address}); fetch_url "
                        "reaches only public addresses, unless the host is listed in "
                        "fetch_allow_hosts"
                    )
        return Target(parts.scheme, host, port, addresses, allowed)
