"""A plain-TCP network stream for httpcore on asyncio's own socket calls, paced to the frame clock.

httpcore's default stream goes through anyio, which on every read opens a cancel scope for the
timeout and switches the socket's reader on and off in the event loop: about 0.3 ms of CPU a
read here, 0.86 CPU-s to receive an 8,000-token answer at 400 tok/s where this stream takes
0.48 (benchmarks/wire_client.py), before anything is drawn. This stream
reads the socket directly, without blocking: a read that finds data returns it without a
system call beyond `recv`, and only an empty socket registers a reader and waits.

Pacing (termchat.cadence): the first read of a read slot goes at once (waiting for data if
there is none); a later read in the same slot takes what is already queued, and when nothing
is, waits for the next slot. A fast model's tokens then wait in the kernel's socket buffer and
are taken in one read just before the frame that draws them; a slow model's first token is
not held back.

Only for `http://` servers: an `https://` connection keeps httpcore's stream (see paced.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import socket
import time
from collections.abc import Iterable
from typing import Any

import httpcore

from termchat.cadence import read_delay


class SocketStream(httpcore.AsyncNetworkStream):
    """One connected non-blocking TCP socket."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._last_read: float | None = None  # monotonic time the last read returned
        # while a read or write waits: what it waits on, and the socket the event loop watches
        self._watching: tuple[asyncio.Future[None], int, bool] | None = None

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        delay = read_delay(time.monotonic(), self._last_read)  # > 0: read in this slot already
        data = self._recv(max_bytes)
        if data is None and delay > 0:
            await asyncio.sleep(delay)
            data = self._recv(max_bytes)
        while data is None:
            await self._wait(writing=False, timeout=timeout)
            data = self._recv(max_bytes)
        self._last_read = time.monotonic()
        return data

    def _recv(self, max_bytes: int) -> bytes | None:
        """What the socket holds (b"" at its end), or None when it holds nothing yet."""
        try:
            return self._sock.recv(max_bytes)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError as exc:
            raise httpcore.ReadError(str(exc) or type(exc).__name__) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        view = memoryview(buffer)
        while view:
            try:
                view = view[self._sock.send(view) :]
            except (BlockingIOError, InterruptedError):
                await self._wait(writing=True, timeout=timeout)
            except OSError as exc:
                raise httpcore.WriteError(str(exc) or type(exc).__name__) from exc

    async def _wait(self, *, writing: bool, timeout: float | None) -> None:
        """Until the socket can be read (or written), `timeout` seconds pass, or it is closed."""
        loop = asyncio.get_running_loop()
        fd = self._sock.fileno()
        if fd < 0:
            raise (httpcore.WriteError if writing else httpcore.ReadError)(
                "the connection is closed"
            )
        waiter: asyncio.Future[None] = loop.create_future()
        (loop.add_writer if writing else loop.add_reader)(fd, _settle, waiter)
        self._watching = (waiter, fd, writing)
        try:
            async with asyncio.timeout(timeout):
                await waiter
        except TimeoutError:
            error = httpcore.WriteTimeout if writing else httpcore.ReadTimeout
            raise error(f"no data within {timeout:g} s") from None
        finally:
            self._unwatch()

    def _unwatch(self) -> None:
        """Stop the event loop watching the socket and end the wait on it; once, and before
        the socket is closed (a socket opened later may get the same number)."""
        if self._watching is not None:
            waiter, fd, writing = self._watching
            self._watching = None
            loop = asyncio.get_running_loop()
            (loop.remove_writer if writing else loop.remove_reader)(fd)
            _settle(waiter)

    async def aclose(self) -> None:
        self._unwatch()  # a read still waiting ends now
        self._sock.close()

    async def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("TLS was asked of a connection opened for plain http")

    def get_extra_info(self, info: str) -> Any:
        sock = self._sock
        if info == "socket":
            return sock
        if sock.fileno() < 0:
            return None
        if info == "client_addr":
            return sock.getsockname()
        if info == "server_addr":
            with contextlib.suppress(OSError):
                return sock.getpeername()
            return None
        if info == "is_readable":  # an idle pooled connection the server has closed
            poll = select.poll()
            poll.register(sock, select.POLLIN)
            return bool(poll.poll(0))
        return None


async def connect_tcp(
    host: str,
    port: int,
    timeout: float | None = None,
    local_address: str | None = None,
    socket_options: Iterable[Any] | None = None,
) -> SocketStream:
    """Open a TCP connection, each address of `host` in turn, within `timeout` in all.

    Raises:
        httpcore.ConnectError: No address could be reached (the last failure's words).
        httpcore.ConnectTimeout: `timeout` passed first.
    """
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            addresses = await _addresses(loop, host, port)
            failure: OSError | None = None
            for family, address in addresses:
                sock = socket.socket(family, socket.SOCK_STREAM)
                try:
                    sock.setblocking(False)
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    for option in socket_options or ():
                        sock.setsockopt(*option)
                    if local_address is not None:
                        sock.bind((local_address, 0))
                    await loop.sock_connect(sock, address)
                except OSError as exc:
                    sock.close()
                    failure = exc
                    continue
                except BaseException:
                    sock.close()
                    raise
                return SocketStream(sock)
    except TimeoutError:
        raise httpcore.ConnectTimeout(f"no connection within {timeout:g} s") from None
    except OSError as exc:  # the name could not be resolved
        raise httpcore.ConnectError(str(exc)) from exc
    raise httpcore.ConnectError(str(failure) if failure else f"{host} has no address")


async def _addresses(
    loop: asyncio.AbstractEventLoop, host: str, port: int
) -> list[tuple[int, Any]]:
    """(family, address) to try for `host`: an IP address as it is, a name resolved."""
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
        except OSError:
            continue
        return [(family, (host, port))]
    found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [(info[0], info[4]) for info in found]


def _settle(waiter: asyncio.Future[None]) -> None:
    """End a wait (the socket is ready, or closed) unless it is over already."""
    if not waiter.done():
        waiter.set_result(None)
