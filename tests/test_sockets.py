"""The plain-TCP stream under httpx (termchat/backends/sockets.py), against real loopback sockets:
reads paced to the frame clock, every byte in order, and each failure as httpcore's error."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import struct
import threading
import time
from collections.abc import Awaitable, Callable, Iterator

import httpcore
import pytest

from termchat.backends.sockets import SocketStream, connect_tcp
from termchat.cadence import FRAME_SECONDS


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A listening loopback socket (127.0.0.1 only, as Ollama listens by default)."""
    server = socket.create_server(("127.0.0.1", 0))
    try:
        yield server
    finally:
        server.close()


def serve(server: socket.socket, job: object) -> threading.Thread:
    """Accept one connection in a thread and hand it to `job(connection)`."""

    def run() -> None:
        connection, _ = server.accept()
        with connection:
            job(connection)  # type: ignore[operator]

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def port(server: socket.socket) -> int:
    return int(server.getsockname()[1])


def test_a_fast_stream_is_read_about_once_a_frame_and_whole(listener: socket.socket) -> None:
    pieces = [f"{n:05d}\n".encode() for n in range(600)]

    def send(connection: socket.socket) -> None:
        for piece in pieces:  # one small write per token, about 1 ms apart
            connection.sendall(piece)
            time.sleep(0.001)

    async def read() -> tuple[bytes, int, float]:
        stream = await connect_tcp("127.0.0.1", port(listener), timeout=5)
        began = time.monotonic()
        received, reads = b"", 0
        while data := await stream.read(65536):
            received += data
            reads += 1
        await stream.aclose()
        return received, reads, time.monotonic() - began

    thread = serve(listener, send)
    received, reads, took = asyncio.run(read())
    thread.join(5)
    assert received == b"".join(pieces)
    slots = took / FRAME_SECONDS + 2
    # one read a frame slot, two when more had queued by the time the first returned; a read
    # per write (600) would mean the stream woke for every token
    assert reads <= 2 * slots, (reads, took)
    assert reads < len(pieces) / 3


def test_localhost_is_tried_address_by_address(listener: socket.socket) -> None:
    """`localhost` may resolve to ::1 first; the server listening on 127.0.0.1 is still found."""

    def reply(connection: socket.socket) -> None:
        connection.sendall(connection.recv(100).upper())

    async def talk() -> bytes:
        stream = await connect_tcp("localhost", port(listener), timeout=5)
        await stream.write(b"ping")
        data = await stream.read(100)
        assert stream.get_extra_info("server_addr")[1] == port(listener)
        await stream.aclose()
        return data

    thread = serve(listener, reply)
    assert asyncio.run(talk()) == b"PING"
    thread.join(5)


def test_an_idle_connection_reads_as_readable_once_the_server_closes_it(
    listener: socket.socket,
) -> None:
    """What httpcore asks before it sends a request on a kept-alive connection."""
    closing = threading.Event()

    async def watch() -> tuple[object, object]:
        stream = await connect_tcp("127.0.0.1", port(listener), timeout=5)
        idle = stream.get_extra_info("is_readable")
        closing.set()
        for _ in range(2000):  # until the server's FIN arrives (10 s at most)
            if stream.get_extra_info("is_readable"):
                break
            await asyncio.sleep(0.005)
        closed = await stream.read(100)
        await stream.aclose()
        return idle, closed

    thread = serve(listener, lambda connection: closing.wait(10))
    assert asyncio.run(watch()) == (False, b"")
    thread.join(5)


def test_a_refused_connection_is_a_connect_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        free = port(server)  # closed again: nobody listens there now
    with pytest.raises(httpcore.ConnectError, match=r"refused|failed"):
        asyncio.run(connect_tcp("127.0.0.1", free, timeout=5))


def test_a_name_that_does_not_resolve_is_a_connect_error() -> None:
    with pytest.raises(httpcore.ConnectError) as caught:
        asyncio.run(connect_tcp("no-such-host.invalid", 11434, timeout=10))
    assert not isinstance(caught.value, httpcore.ConnectTimeout)


def with_silent_server(
    listener: socket.socket, body: Callable[[httpcore.AsyncNetworkStream], Awaitable[object]]
) -> None:
    """Run `body` on a connection to a server that accepts it and never sends a byte."""
    done = threading.Event()

    async def main() -> None:
        stream = await connect_tcp("127.0.0.1", port(listener), timeout=5)
        try:
            await body(stream)
        finally:
            await stream.aclose()
            done.set()

    thread = serve(listener, lambda connection: done.wait(10))
    try:
        asyncio.run(main())
    finally:
        thread.join(5)


def test_a_silent_server_is_a_read_timeout(listener: socket.socket) -> None:
    with pytest.raises(httpcore.ReadTimeout):
        with_silent_server(listener, lambda stream: stream.read(100, timeout=0.05))


def test_a_reset_connection_is_a_read_error(listener: socket.socket) -> None:
    def reset(connection: socket.socket) -> None:
        connection.recv(100)
        # SO_LINGER 0: closing sends RST instead of FIN
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    async def read() -> None:
        stream = await connect_tcp("127.0.0.1", port(listener), timeout=5)
        await stream.write(b"go")
        try:
            while await stream.read(100):
                pass
        finally:
            await stream.aclose()

    thread = serve(listener, reset)
    with pytest.raises(httpcore.ReadError):
        asyncio.run(read())
    thread.join(5)


def test_closing_ends_a_read_that_waits(listener: socket.socket) -> None:
    async def close_while_reading(stream: httpcore.AsyncNetworkStream) -> None:
        assert isinstance(stream, SocketStream)
        waiting = asyncio.ensure_future(stream.read(100))
        while stream._watching is None:  # the read has registered and waits for data
            await asyncio.sleep(0.001)
        await stream.aclose()
        await asyncio.wait_for(waiting, 5)

    with pytest.raises(httpcore.ReadError):
        with_silent_server(listener, close_while_reading)


def test_a_plain_connection_refuses_tls(listener: socket.socket) -> None:
    with pytest.raises(httpcore.ConnectError, match="plain http"):
        with_silent_server(listener, lambda stream: stream.start_tls(ssl.create_default_context()))


def test_closing_leaves_alone_a_socket_that_reuses_the_number(listener: socket.socket) -> None:
    """The number of a closed socket goes to the next one opened: a read that ends because its
    stream was closed must not stop the event loop watching that new socket."""

    async def close_and_reopen(stream: httpcore.AsyncNetworkStream) -> bool:
        assert isinstance(stream, SocketStream)
        loop = asyncio.get_running_loop()
        number = stream._sock.fileno()
        waiting = asyncio.ensure_future(stream.read(100))
        while stream._watching is None:  # the read has registered and waits for data
            await asyncio.sleep(0.001)
        await stream.aclose()
        other, peer = socket.socketpair()
        try:
            assert other.fileno() == number  # the lowest free number, as POSIX gives it
            loop.add_reader(other.fileno(), lambda: None)
            with contextlib.suppress(httpcore.ReadError):
                await asyncio.wait_for(waiting, 5)
            return loop.remove_reader(other.fileno())  # True: it was still watched
        finally:
            other.close()
            peer.close()

    watched: list[bool] = []

    async def body(stream: httpcore.AsyncNetworkStream) -> None:
        watched.append(await close_and_reopen(stream))

    with_silent_server(listener, body)
    assert watched == [True]
