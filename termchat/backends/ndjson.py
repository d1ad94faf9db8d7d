"""Pure decoders for Ollama's NDJSON stream: bytes to lines, lines to stream events."""

from __future__ import annotations

from json import JSONDecoder
from json.scanner import make_scanner
from typing import Any

from termchat.backends.fields import ShapeError, TextJoin, error_text, stats, tool_call, wrong
from termchat.backends.limits import Limits, line_cut
from termchat.messages import (
    ContentDelta,
    Done,
    Event,
    StreamError,
    ThinkingDelta,
    ToolCalls,
)

EARLY_END = "The server ended the reply before it was complete"
MALFORMED = "The server sent a record termchat cannot read"
_SHOWN = 60  # characters of a bad line quoted in an error
# The C scanner behind json.loads, without its wrapper: over twice as fast per line, and a chat
# stream is one small JSON object per token. (typeshed types its context argument too narrowly.)
_scan = make_scanner(JSONDecoder())  # type: ignore[arg-type]


def parse_line(line: str) -> object:
    """Parse a line holding one JSON value (surrounding spaces allowed).

    Raises:
        ValueError: The line is not exactly one JSON value (or is nested too deeply to read).
    """
    start = len(line) - len(line.lstrip()) if line[:1].isspace() else 0
    try:
        value, end = _scan(line, start)
    except StopIteration as exc:
        raise ValueError("no JSON value") from exc
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc
    if end != len(line) and not line[end:].isspace():
        raise ValueError("text after the JSON value")
    return value


def _lenient(line: str) -> object:
    try:
        return parse_line(line)
    except ValueError:
        return None


class LineDecoder:
    """Split a byte stream into text lines, whatever the chunk boundaries.

    Handles lines and multi-byte UTF-8 characters split across chunks (lines are split as bytes
    and decoded whole), and CRLF endings. Empty lines are dropped unless `keep_blank` is set (SSE
    needs them as event separators). Invalid UTF-8 is replaced, never raised.

    Args:
        keep_blank: Return empty lines too.
        limit: Longest line held, in bytes; a longer one is dropped and `overflow` set.
        any_newline: A lone CR also ends a line (SSE allows CR, LF and CRLF).
    """

    def __init__(
        self, keep_blank: bool = False, limit: int | None = None, any_newline: bool = False
    ) -> None:
        self._parts: list[bytes] = []
        self._size = 0
        self._keep_blank = keep_blank
        self._limit = limit
        self._any_newline = any_newline
        self._after_cr = False
        self.overflow = False

    def decode(self, chunk: bytes) -> list[str]:
        """Feed bytes; return the lines completed by them, without line endings."""
        if self._any_newline and (self._after_cr or b"\r" in chunk) and chunk:
            chunk = self._unify(chunk)
        if b"\n" not in chunk:
            if chunk:
                self._parts.append(chunk)
                self._size += len(chunk)
                self._check()
            return []
        if self._parts:
            self._parts.append(chunk)
            chunk = b"".join(self._parts)
            self._parts.clear()
        lines = chunk.split(b"\n")
        tail = lines.pop()
        self._size = len(tail)
        if tail:
            self._parts.append(tail)
            self._check()
        return self._text(lines, b"\r" in chunk)

    def flush(self) -> list[str]:
        """End of stream: return the last line if it had no newline."""
        data = b"".join(self._parts)
        self._parts.clear()
        self._size = 0
        return self._text([data], True) if data else []

    def _check(self) -> None:
        if self._limit is not None and self._size > self._limit:
            self.overflow = True
            self._parts.clear()
            self._size = 0

    def _unify(self, chunk: bytes) -> bytes:
        """Every CR, LF and CRLF as one LF, also when a CRLF is split between two chunks."""
        if self._after_cr and chunk[:1] == b"\n":
            chunk = chunk[1:]
        self._after_cr = chunk[-1:] == b"\r"
        return chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")

    def _text(self, lines: list[bytes], has_cr: bool) -> list[str]:
        if has_cr:
            lines = [line[:-1] if line[-1:] == b"\r" else line for line in lines]
        if self._keep_blank:
            return [line.decode("utf-8", "replace") for line in lines]
        return [line.decode("utf-8", "replace") for line in lines if line]


def bad_line(line: str) -> StreamError:
    """The error for a line that is not a JSON object, quoting its start."""
    shown = line if len(line) <= _SHOWN else line[:_SHOWN] + "…"
    return StreamError(f"The server sent a line that is not JSON: {shown!r}")


class EventStream:
    """Bytes of a streamed response in, events out; no I/O. Subclasses split the body into
    records (`_decode`/`_flush`, setting `_overflow` when one passes the line limit) and turn
    records into events (`_parse`, which sets `finished` when the reply is complete or broken).

    `feed` returns the events the bytes completed; `end` is called at end of stream and reports a
    stream that stopped before its final record. Once `finished`, later bytes are ignored. Text
    pieces go through a TextJoin per kind, so that no event carries text that cannot be encoded.
    """

    finished = False

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._thinking = TextJoin()
        self._content = TextJoin()
        self.finished = False

    def _decode(self, chunk: bytes) -> list[str]:
        raise NotImplementedError

    def _flush(self) -> list[str]:
        raise NotImplementedError

    def _parse(self, records: list[str]) -> list[Event]:
        raise NotImplementedError

    def _overflow(self) -> bool:
        raise NotImplementedError

    def feed(self, chunk: bytes) -> list[Event]:
        """Decode a piece of the body."""
        if self.finished:
            return []
        events = self._parse(self._decode(chunk))
        if not self.finished and self._overflow():
            events += self.fail(line_cut(self.limits.line))
        return events

    def end(self) -> list[Event]:
        """The body ended: decode what is left and report an unfinished reply."""
        if self.finished:
            return []
        events = self._parse(self._flush())
        if not self.finished:
            events += self.fail(EARLY_END)
        return events

    def fail(self, message: str) -> list[Event]:
        """End the reply with a StreamError (after any text held back); [] once finished."""
        if self.finished:
            return []
        events = self._release()
        events.append(StreamError(message))
        self.finished = True
        return events

    def _text(
        self,
        thinking: Any,
        content: Any,
        where: str,
        events: list[Event],
        thinking_field: str = "thinking",
    ) -> None:
        """Append the thinking and content pieces of one record (falsy values mean none)."""
        if thinking:
            if type(thinking) is not str:
                raise wrong(f"{where}{thinking_field}", "text", thinking)
            thinking = self._thinking.push(thinking)
            if thinking:
                events.append(ThinkingDelta(thinking))
        if content:
            if type(content) is not str:
                raise wrong(f"{where}content", "text", content)
            content = self._content.push(content)
            if content:
                events.append(ContentDelta(content))

    def _release(self) -> list[Event]:
        """Text held back at the end of the reply (half a surrogate pair, as U+FFFD)."""
        events: list[Event] = []
        thinking, content = self._thinking.close(), self._content.close()
        if thinking:
            events.append(ThinkingDelta(thinking))
        if content:
            events.append(ContentDelta(content))
        return events


class OllamaStream(EventStream):
    """Turn the bytes of an /api/chat response (NDJSON) into events."""

    def __init__(self, limits: Limits | None = None) -> None:
        super().__init__(limits)
        self._lines = LineDecoder(limit=self.limits.line)

    def _decode(self, chunk: bytes) -> list[str]:
        return self._lines.decode(chunk)

    def _flush(self) -> list[str]:
        return self._lines.flush()

    def _overflow(self) -> bool:
        return self._lines.overflow

    def _parse(self, lines: list[str]) -> list[Event]:
        events: list[Event] = []
        for line in lines:
            try:
                chunk, end = _scan(line, 0)
            except (ValueError, StopIteration, RecursionError):
                chunk, end = None, -1
            if end != len(line):  # rare: spaces around the object, or not JSON at all
                chunk = _lenient(line)
            if type(chunk) is not dict:
                if line.isspace():
                    continue
                events += self.fail(bad_line(line).message)
                break
            try:
                if self.record(chunk, events):
                    break
            except ShapeError as exc:
                events += self.fail(f"{MALFORMED}: {exc}")
                break
        return events

    def record(self, chunk: dict[str, Any], events: list[Event]) -> bool:
        """Append the events of one parsed chunk, in display order.

        Thinking comes before content, then tool calls (each call kept, never merged by index),
        then `Done` for the final chunk, which may still carry content and tool calls. An
        `error` chunk becomes a StreamError.

        Returns:
            True when the chunk ends the reply (done or error).

        Raises:
            ShapeError: A field has the wrong type; events appended so far stay.
        """
        error = chunk.get("error")
        if error is not None:
            events += self.fail(error_text(error))
            return True
        message = chunk.get("message")
        if message:
            if type(message) is not dict:
                raise wrong("message", "an object", message)
            self._text(message.get("thinking"), message.get("content"), "message.", events)
            calls = message.get("tool_calls")
            if calls:
                if type(calls) is not list:
                    raise wrong("message.tool_calls", "a list", calls)
                where = "message.tool_calls"
                events.append(
                    ToolCalls(tuple(tool_call(c, f"{where}[{i}]") for i, c in enumerate(calls)))
                )
        if chunk.get("done") is True:
            events += self._release()
            events.append(Done(stats(chunk)))
            self.finished = True
            return True
        return False


def ollama_events(chunk: dict[str, Any]) -> list[Event]:
    """The events one parsed Ollama chunk carries, as a fresh stream would read it."""
    events: list[Event] = []
    stream = OllamaStream()
    try:
        stream.record(chunk, events)
    except ShapeError as exc:
        events += stream.fail(f"{MALFORMED}: {exc}")
    return events
