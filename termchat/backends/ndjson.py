"""Pure decoders for Ollama's NDJSON stream: bytes to lines, lines to stream events."""

from __future__ import annotations

from json import JSONDecoder
from json.scanner import make_scanner
from typing import Any

from termchat.messages import (
    ContentDelta,
    Done,
    Event,
    Stats,
    StreamError,
    ThinkingDelta,
    ToolCall,
    ToolCalls,
)

EARLY_END = "the stream ended before the reply was complete"
_SHOWN = 60  # characters of a bad line quoted in an error
# The C scanner behind json.loads, without its wrapper: over twice as fast per line, and a chat
# stream is one small JSON object per token. (typeshed types its context argument too narrowly.)
_scan = make_scanner(JSONDecoder())  # type: ignore[arg-type]


def parse_line(line: str) -> object:
    """Parse a line holding one JSON value (surrounding spaces allowed).

    Raises:
        ValueError: The line is not exactly one JSON value.
    """
    start = len(line) - len(line.lstrip()) if line[:1].isspace() else 0
    try:
        value, end = _scan(line, start)
    except StopIteration as exc:
        raise ValueError("no JSON value") from exc
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
    """

    def __init__(self, keep_blank: bool = False) -> None:
        self._parts: list[bytes] = []
        self._keep_blank = keep_blank

    def decode(self, chunk: bytes) -> list[str]:
        """Feed bytes; return the lines completed by them, without line endings."""
        if b"\n" not in chunk:
            if chunk:
                self._parts.append(chunk)
            return []
        if self._parts:
            self._parts.append(chunk)
            chunk = b"".join(self._parts)
            self._parts.clear()
        lines = chunk.split(b"\n")
        tail = lines.pop()
        if tail:
            self._parts.append(tail)
        return self._text(lines, b"\r" in chunk)

    def flush(self) -> list[str]:
        """End of stream: return the last line if it had no newline."""
        data = b"".join(self._parts)
        self._parts.clear()
        return self._text([data], True) if data else []

    def _text(self, lines: list[bytes], has_cr: bool) -> list[str]:
        if has_cr:
            lines = [line[:-1] if line[-1:] == b"\r" else line for line in lines]
        if self._keep_blank:
            return [line.decode("utf-8", "replace") for line in lines]
        return [line.decode("utf-8", "replace") for line in lines if line]


def bad_line(line: str) -> StreamError:
    """The error for a line that is not a JSON object, quoting its start."""
    shown = line if len(line) <= _SHOWN else line[:_SHOWN] + "…"
    return StreamError(f"the server sent a line that is not JSON: {shown!r}")


def error_text(error: Any) -> str:
    """The message of an `error` field, whether a string or an OpenAI-style object."""
    if isinstance(error, dict):
        message = error.get("message")
        return str(message) if message else str(error)
    return str(error)


def ollama_events(chunk: dict[str, Any]) -> list[Event]:
    """The events one parsed Ollama chunk carries, in display order.

    Thinking comes before content, then tool calls (each call kept, never merged by index), then
    `Done` for the final chunk, which may still carry content and tool calls. An `error` chunk
    becomes a StreamError.
    """
    events: list[Event] = []
    append_events(chunk, events)
    return events


def append_events(chunk: dict[str, Any], events: list[Event]) -> bool:
    """Append the events of `chunk` to `events` (the lean form of `ollama_events`).

    Returns:
        True when the chunk ends the reply (done or error).
    """
    if "error" in chunk:
        events.append(StreamError(error_text(chunk["error"])))
        return True
    message = chunk.get("message")
    if message:
        thinking = message.get("thinking")
        if thinking and isinstance(thinking, str):
            events.append(ThinkingDelta(thinking))
        content = message.get("content")
        if content and isinstance(content, str):
            events.append(ContentDelta(content))
        calls = message.get("tool_calls")
        if calls and isinstance(calls, list):
            events.append(
                ToolCalls(tuple(ToolCall.from_dict(c) for c in calls if isinstance(c, dict)))
            )
    if chunk.get("done") is True:
        events.append(Done(Stats.from_dict(chunk)))
        return True
    return False


class EventStream:
    """Bytes of a streamed response in, events out; no I/O. Subclasses split the body into
    records (`_decode`/`_flush`) and turn records into events (`_parse`, which sets `finished`
    when the reply is complete or broken).

    `feed` returns the events the bytes completed; `end` is called at end of stream and reports a
    stream that stopped before its final record. Once `finished`, later bytes are ignored.
    """

    finished = False

    def _decode(self, chunk: bytes) -> list[str]:
        raise NotImplementedError

    def _flush(self) -> list[str]:
        raise NotImplementedError

    def _parse(self, records: list[str]) -> list[Event]:
        raise NotImplementedError

    def feed(self, chunk: bytes) -> list[Event]:
        """Decode a piece of the body."""
        if self.finished:
            return []
        return self._parse(self._decode(chunk))

    def end(self) -> list[Event]:
        """The body ended: decode what is left and report an unfinished reply."""
        if self.finished:
            return []
        events = self._parse(self._flush())
        if not self.finished:
            self.finished = True
            events.append(StreamError(EARLY_END))
        return events


class OllamaStream(EventStream):
    """Turn the bytes of an /api/chat response (NDJSON) into events."""

    def __init__(self) -> None:
        self._lines = LineDecoder()
        self.finished = False

    def _decode(self, chunk: bytes) -> list[str]:
        return self._lines.decode(chunk)

    def _flush(self) -> list[str]:
        return self._lines.flush()

    def _parse(self, lines: list[str]) -> list[Event]:
        events: list[Event] = []
        for line in lines:
            try:
                chunk, end = _scan(line, 0)
            except (ValueError, StopIteration):
                chunk, end = None, -1
            if end != len(line):  # rare: spaces around the object, or not JSON at all
                chunk = _lenient(line)
            if type(chunk) is not dict:
                if line.isspace():
                    continue
                events.append(bad_line(line))
                self.finished = True
                break
            if append_events(chunk, events):
                self.finished = True
                break
        return events
