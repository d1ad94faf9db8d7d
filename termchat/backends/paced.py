"""Network reads paced to the frame clock (termchat.cadence): httpcore's network backend, with
asyncio's own sockets for plain http (sockets.py) and anyio's stream wrapped for https."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from termchat.backends import sockets
from termchat.cadence import read_delay

INSTANT = 0.0005  # seconds: a read this quick did not wait for the network


class PacedStream(httpcore.AsyncNetworkStream):
    """A connection whose reads wait for the next read slot when one already ran in this slot.

    Whatever arrived in between is then read in one go (httpcore reads up to 64 KiB), so a
    stream of one HTTP chunk per token wakes the event loop about 20 times a second instead
    of once per token. The data waits in the kernel's socket buffer, never longer than the
    next frame would have waited to draw it.
    """

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream
        self._last_read: float | None = None
        self._draining = False

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        delay = read_delay(time.monotonic(), self._last_read, self._draining)
        if delay > 0:
            await asyncio.sleep(delay)
        began = time.monotonic()
        data = await self._stream.read(max_bytes, timeout)
        self._last_read = time.monotonic()
        # returned at once: it was queued or waiting in the socket, and more may be there
        self._draining = self._last_read - began < INSTANT
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return PacedStream(await self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class PacedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with paced connections: a SocketStream for a plain-http
    server (`plain`), else httpcore's own stream wrapped in a PacedStream."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend, *, plain: bool = False) -> None:
        self._backend = backend
        self._plain = plain

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if self._plain:
            return await sockets.connect_tcp(host, port, timeout, local_address, socket_options)
        stream = await self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return PacedStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._backend.connect_unix_socket(path, timeout, socket_options)
        return PacedStream(stream)

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


def paced_transport(*, trust_env: bool, tls: bool = True) -> httpx.AsyncHTTPTransport:
    """httpx's default transport with paced reads.

    httpx does not take a network backend, so the pool's is wrapped in place; should a future
    httpx lay out its pool differently, the transport is returned unpaced (slower, still right).

    Args:
        trust_env: Read SSL settings from the environment.
        tls: The server may be reached over https. For a plain-http server, loading the CA
            bundle (about 50 ms of start-up) is skipped: the transport gets a context that
            trusts nothing, so a TLS connection it should never make would fail, not pass;
            and its connections are asyncio sockets (sockets.SocketStream), not anyio's.
    """
    if tls:
        transport = httpx.AsyncHTTPTransport(trust_env=trust_env)
    else:
        untrusting = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies, with no CA at all
        transport = httpx.AsyncHTTPTransport(verify=untrusting, trust_env=trust_env)
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if backend is not None and not isinstance(backend, PacedBackend):
        pool._network_backend = PacedBackend(backend, plain=not tls)  # type: ignore[union-attr]
    return transport
