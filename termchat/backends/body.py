"""Reading an HTTP body within a limit: content decoding that never inflates more than a piece
at a time, so that neither an endless body nor a compression bomb can fill memory."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator

import httpx

from termchat.backends.limits import KIB
from termchat.errors import ProtocolError

PIECE = 64 * KIB  # most bytes one decompression step may produce


class BodyTooLong(Exception):
    """A body passed its limit; `limit` says which."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


class _Inflate:
    """One gzip or deflate layer, inflated at most PIECE bytes at a time."""

    def __init__(self, encoding: str) -> None:
        self._gzip = encoding in ("gzip", "x-gzip")
        # 32 + MAX_WBITS reads a gzip or zlib header; deflate may also come raw (no header).
        self._inflater = zlib.decompressobj(32 + zlib.MAX_WBITS if self._gzip else zlib.MAX_WBITS)
        self._started = False

    def decode(self, data: bytes) -> Iterator[bytes]:
        try:
            yield from self._pieces(data)
        except zlib.error as exc:
            if self._gzip or self._started:
                raise httpx.DecodingError(f"the compressed answer is corrupt ({exc})") from exc
            self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate
            self._started = True
            try:
                yield from self._pieces(data)
            except zlib.error as again:
                raise httpx.DecodingError(f"the compressed answer is corrupt ({again})") from again

    def _pieces(self, data: bytes) -> Iterator[bytes]:
        piece = self._inflater.decompress(data, PIECE)
        while True:
            if piece:
                self._started = True
                yield piece
            data = self._inflater.unconsumed_tail
            if not data:
                return
            piece = self._inflater.decompress(data, PIECE)


class ContentDecoder:
    """Undo a response's Content-Encoding (identity, gzip, deflate, or a chain of them).

    termchat asks for `identity`; a server that compresses anyway is still read, one bounded
    piece at a time.

    Raises:
        ProtocolError: An encoding termchat cannot read (br, zstd, ...).
    """

    def __init__(self, header: str) -> None:
        names = [n.strip().lower() for n in header.split(",") if n.strip()]
        names = [n for n in names if n != "identity"]
        unknown = [n for n in names if n not in ("gzip", "x-gzip", "deflate")]
        if unknown:
            shown = ", ".join(n[:20] for n in unknown[:3])
            raise ProtocolError(
                f"the server compressed its answer as {shown!r}, which termchat cannot read"
            )
        # Encodings are listed in the order they were applied: undo them last first.
        self._layers = [_Inflate(n) for n in reversed(names)]

    def decode(self, data: bytes) -> Iterator[bytes]:
        """The decoded pieces of `data`, none longer than PIECE (or the raw data as it is)."""
        pieces: Iterator[bytes] = iter((data,))
        for layer in self._layers:
            pieces = _chain(layer, pieces)
        return pieces


def _chain(layer: _Inflate, pieces: Iterator[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield from layer.decode(piece)


async def body_pieces(response: httpx.Response, limit: int) -> AsyncIterator[bytes]:
    """The decoded body of a streamed response, piece by piece.

    Raises:
        BodyTooLong: The body (raw or decoded) passed `limit`; the pieces before it were given.
        ProtocolError: An unreadable Content-Encoding.
        httpx.DecodingError: Corrupt compressed data.
    """
    decoder = ContentDecoder(response.headers.get("content-encoding", ""))
    raw_size = size = 0
    async for raw in response.aiter_raw():
        raw_size += len(raw)
        for piece in decoder.decode(raw):
            size += len(piece)
            if size > limit:
                raise BodyTooLong(limit)
            yield piece
        if raw_size > limit:
            raise BodyTooLong(limit)


async def read_body(response: httpx.Response, limit: int, into: bytearray) -> bool:
    """Read a body into `into`, at most `limit` bytes of it.

    Returns:
        True when the body was longer and the rest was not read.
    """
    try:
        async for piece in body_pieces(response, limit):
            into += piece
    except BodyTooLong:
        return True
    return False
