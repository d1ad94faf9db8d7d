"""Pure decoders for OpenAI-compatible streams: SSE framing and chat-completion chunks to events."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from termchat.backends.fields import (
    ShapeError,
    arguments,
    call_id,
    clean_text,
    count,
    error_text,
    shorten,
    text,
    wrong,
)
from termchat.backends.limits import Limits
from termchat.backends.ndjson import MALFORMED, EventStream, LineDecoder, bad_line, parse_line
from termchat.messages import Done, Event, Stats, ToolCall, ToolCalls

DONE_MARKER = "[DONE]"
SHORT_NAME = 256  # characters kept of a tool name


class SSEDecoder:
    """Split a server-sent-events byte stream into the `data` payloads of its events.

    Lines may end in CR, LF or CRLF. `data:` lines of one event are joined with newlines; a blank
    line ends an event; comment lines (starting with `:`) and other fields (`event:`, `id:`,
    `retry:`) are ignored. An event larger than `limit` bytes is dropped and `overflow` set.
    """

    def __init__(self, limit: int | None = None) -> None:
        self._lines = LineDecoder(keep_blank=True, limit=limit, any_newline=True)
        self._data: list[str] = []
        self._size = 0
        self._limit = limit
        self._too_big = False

    @property
    def overflow(self) -> bool:
        """An event (or one of its lines) passed the limit."""
        return self._too_big or self._lines.overflow

    def decode(self, chunk: bytes) -> list[str]:
        """Feed bytes; return the payloads of the events they completed."""
        return self._events(self._lines.decode(chunk))

    def flush(self) -> list[str]:
        """End of stream: return the payload of an event left without its blank line."""
        payloads = self._events(self._lines.flush())
        if self._data:
            payloads.append("\n".join(self._data))
            self._data.clear()
        return payloads

    def _events(self, lines: list[str]) -> list[str]:
        payloads: list[str] = []
        for line in lines:
            if not line:
                if self._data:
                    payloads.append("\n".join(self._data))
                    self._data.clear()
                    self._size = 0
                continue
            if line[0] == ":":
                continue
            name, _, value = line.partition(":")
            if name == "data":
                value = value[1:] if value[:1] == " " else value
                self._data.append(value)
                self._size += len(value) + 1
                if self._limit is not None and self._size > self._limit:
                    self._too_big = True
                    self._data.clear()
                    self._size = 0
        return payloads


class _PendingCall:
    """A tool call being assembled from fragments."""

    __slots__ = ("arguments", "id", "name")

    def __init__(self) -> None:
        self.id: str | None = None
        self.name = ""
        self.arguments: list[str] = []

    def finish(self, where: str) -> ToolCall:
        return ToolCall(
            name=shorten(clean_text(self.name), SHORT_NAME),
            arguments=arguments("".join(self.arguments), where),
            id=self.id,
        )


class OpenAIStream(EventStream):
    """Turn the bytes of a streamed /chat/completions response into events; no I/O.

    Reasoning comes from `delta.reasoning`, else `delta.reasoning_content`; content passes through
    unchanged (the accumulator splits `<think>` tags). Tool-call fragments are joined per index and
    emitted as one ToolCalls event at the finish. `Done` is sent at `[DONE]`, with usage and the
    generation time measured here (first token to finish).

    Args:
        clock: Nanosecond clock, replaceable in tests.
        started_ns: When the request was sent, by `clock`; gives `total_duration`.
        limits: The caps on one event (`line`).
    """

    def __init__(
        self,
        clock: Callable[[], int] = time.perf_counter_ns,
        started_ns: int | None = None,
        limits: Limits | None = None,
    ) -> None:
        super().__init__(limits)
        self._sse = SSEDecoder(self.limits.line)
        self._clock = clock
        self._started = started_ns
        self._first: int | None = None
        self._ended: int | None = None
        self._calls: dict[int, _PendingCall] = {}
        self._last_index = -1
        self._usage: dict[str, Any] = {}
        self._finish_reason: str | None = None

    def _decode(self, chunk: bytes) -> list[str]:
        return self._sse.decode(chunk)

    def _flush(self) -> list[str]:
        return self._sse.flush()

    def _overflow(self) -> bool:
        return self._sse.overflow

    def _parse(self, records: list[str]) -> list[Event]:
        events: list[Event] = []
        for payload in records:
            try:
                if self._payload(payload, events):
                    break
            except ShapeError as exc:
                events += self.fail(f"{MALFORMED}: {exc}")
                break
        return events

    def _payload(self, payload: str, events: list[Event]) -> bool:
        """Append the events of one SSE payload; True when it ends the reply."""
        if payload.strip() == DONE_MARKER:
            self._flush_calls(events)
            events += self._release()
            events.append(Done(self._stats()))
            self.finished = True
            return True
        try:
            chunk = parse_line(payload)
        except ValueError:
            chunk = None
        if type(chunk) is not dict:
            events += self.fail(bad_line(payload).message)
            return True
        error = chunk.get("error")
        if error is not None:
            events += self.fail(error_text(error))
            return True
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self._usage = usage
        choices = chunk.get("choices")
        if not choices:
            return False
        if type(choices) is not list:
            raise wrong("choices", "a list", choices)
        for i, choice in enumerate(choices):
            if type(choice) is not dict:
                raise wrong(f"choices[{i}]", "an object", choice)
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta")
            if delta:
                if type(delta) is not dict:
                    raise wrong(f"choices[{i}].delta", "an object", delta)
                self._delta(delta, f"choices[{i}].delta.", events)
            reason = choice.get("finish_reason")
            if reason and type(reason) is str:
                self._finish_reason = text(reason)
                self._ended = self._clock()
                self._flush_calls(events)
        return False

    def _delta(self, delta: dict[str, Any], where: str, events: list[Event]) -> None:
        field = "reasoning"
        reasoning = delta.get(field)
        if not reasoning:
            field = "reasoning_content"
            reasoning = delta.get(field)
        content = delta.get("content")
        fragments = delta.get("tool_calls")
        if self._first is None and (reasoning or content or fragments):
            self._first = self._clock()
        self._text(reasoning, content, where, events, field)
        if fragments:
            if type(fragments) is not list:
                raise wrong(f"{where}tool_calls", "a list", fragments)
            for i, fragment in enumerate(fragments):
                self._fragment(fragment, f"{where}tool_calls[{i}]")

    def _fragment(self, fragment: Any, where: str) -> None:
        if type(fragment) is not dict:
            raise wrong(where, "an object", fragment)
        function = fragment.get("function")
        if function is not None and type(function) is not dict:
            raise wrong(f"{where}.function", "an object", function)
        index = fragment.get("index")
        fragment_id = call_id(fragment.get("id"))
        if type(index) is not int:
            # No index: a new id starts a new call, otherwise continue the last one.
            known = fragment_id is not None and any(
                c.id == fragment_id for c in self._calls.values()
            )
            new = fragment_id is not None and not known
            index = self._last_index + 1 if new else max(self._last_index, 0)
        call = self._calls.get(index)
        if call is None:
            call = self._calls[index] = _PendingCall()
        self._last_index = max(self._last_index, index)
        if fragment_id and call.id is None:
            call.id = fragment_id
        if function:
            name = function.get("name")
            if name is not None and type(name) is not str:
                raise wrong(f"{where}.function.name", "a name", name)
            if name and not call.name:
                call.name = name
            pieces = function.get("arguments")
            if isinstance(pieces, str):
                call.arguments.append(pieces)
            elif isinstance(pieces, dict):
                # Some servers send the object itself rather than its JSON text.
                try:
                    call.arguments.append(json.dumps(pieces))
                except (RecursionError, ValueError) as exc:
                    raise ShapeError(f"{where}.function.arguments is nested too deeply") from exc
            elif pieces is not None:
                raise wrong(f"{where}.function.arguments", "text", pieces)

    def _flush_calls(self, events: list[Event]) -> None:
        if self._calls:
            calls = tuple(
                self._calls[i].finish(f"tool call {n} arguments")
                for n, i in enumerate(sorted(self._calls))
            )
            self._calls.clear()
            events.append(ToolCalls(calls))

    def _stats(self) -> Stats:
        ended = self._ended if self._ended is not None else self._clock()
        eval_duration = ended - self._first if self._first is not None else None
        total = ended - self._started if self._started is not None else None
        return Stats(
            done_reason=self._finish_reason,
            total_duration=total if total and total > 0 else None,
            prompt_eval_count=count(self._usage.get("prompt_tokens")),
            eval_count=count(self._usage.get("completion_tokens")),
            eval_duration=eval_duration if eval_duration and eval_duration > 0 else None,
        )
