"""Pure decoders for OpenAI-compatible streams: SSE framing and chat-completion chunks to events."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from termchat.backends.ndjson import (
    EventStream,
    LineDecoder,
    bad_line,
    error_text,
    parse_line,
)
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

DONE_MARKER = "[DONE]"


class SSEDecoder:
    """Split a server-sent-events byte stream into the `data` payloads of its events.

    `data:` lines of one event are joined with newlines; a blank line ends an event; comment
    lines (starting with `:`) and other fields (`event:`, `id:`, `retry:`) are ignored.
    """

    def __init__(self) -> None:
        self._lines = LineDecoder(keep_blank=True)
        self._data: list[str] = []

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
                continue
            if line[0] == ":":
                continue
            name, _, value = line.partition(":")
            if name == "data":
                self._data.append(value[1:] if value[:1] == " " else value)
        return payloads


class _PendingCall:
    """A tool call being assembled from fragments."""

    __slots__ = ("arguments", "id", "name")

    def __init__(self) -> None:
        self.id: str | None = None
        self.name = ""
        self.arguments: list[str] = []

    def finish(self) -> ToolCall:
        text = "".join(self.arguments)
        arguments: dict[str, Any]
        try:
            parsed = json.loads(text) if text.strip() else {}
        except ValueError:
            parsed = None
        arguments = parsed if isinstance(parsed, dict) else {"_raw": text}
        return ToolCall(name=self.name, arguments=arguments, id=self.id)


class OpenAIStream(EventStream):
    """Turn the bytes of a streamed /chat/completions response into events; no I/O.

    Reasoning comes from `delta.reasoning`, else `delta.reasoning_content`; content passes through
    unchanged (the accumulator splits `<think>` tags). Tool-call fragments are joined per index and
    emitted as one ToolCalls event at the finish. `Done` is sent at `[DONE]`, with usage and the
    generation time measured here (first token to finish).

    Args:
        clock: Nanosecond clock, replaceable in tests.
        started_ns: When the request was sent, by `clock`; gives `total_duration`.
    """

    def __init__(
        self, clock: Callable[[], int] = time.perf_counter_ns, started_ns: int | None = None
    ) -> None:
        self._sse = SSEDecoder()
        self._clock = clock
        self._started = started_ns
        self._first: int | None = None
        self._ended: int | None = None
        self._calls: dict[int, _PendingCall] = {}
        self._last_index = -1
        self._usage: dict[str, Any] = {}
        self._finish_reason: str | None = None
        self.finished = False

    def _decode(self, chunk: bytes) -> list[str]:
        return self._sse.decode(chunk)

    def _flush(self) -> list[str]:
        return self._sse.flush()

    def _parse(self, records: list[str]) -> list[Event]:
        return self._handle(records)

    def _handle(self, payloads: list[str]) -> list[Event]:
        events: list[Event] = []
        for payload in payloads:
            if payload.strip() == DONE_MARKER:
                self._flush_calls(events)
                events.append(Done(self._stats()))
                self.finished = True
                break
            try:
                chunk = parse_line(payload)
            except ValueError:
                chunk = None
            if type(chunk) is not dict:
                events.append(bad_line(payload))
                self.finished = True
                break
            if "error" in chunk:
                events.append(StreamError(error_text(chunk["error"])))
                self.finished = True
                break
            self._chunk(chunk, events)
        return events

    def _chunk(self, chunk: dict[str, Any], events: list[Event]) -> None:
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self._usage = usage
        for choice in chunk.get("choices") or ():
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta")
            if isinstance(delta, dict):
                self._delta(delta, events)
            reason = choice.get("finish_reason")
            if reason:
                self._finish_reason = str(reason)
                self._ended = self._clock()
                self._flush_calls(events)

    def _delta(self, delta: dict[str, Any], events: list[Event]) -> None:
        reasoning = delta.get("reasoning") or delta.get("reasoning_content")
        content = delta.get("content")
        fragments = delta.get("tool_calls")
        if self._first is None and (reasoning or content or fragments):
            self._first = self._clock()
        if reasoning and isinstance(reasoning, str):
            events.append(ThinkingDelta(reasoning))
        if content and isinstance(content, str):
            events.append(ContentDelta(content))
        if fragments and isinstance(fragments, list):
            for fragment in fragments:
                if isinstance(fragment, dict):
                    self._fragment(fragment)

    def _fragment(self, fragment: dict[str, Any]) -> None:
        index = fragment.get("index")
        call_id = fragment.get("id") or None
        if not isinstance(index, int):
            # No index: a new id starts a new call, otherwise continue the last one.
            known = call_id is not None and any(c.id == call_id for c in self._calls.values())
            index = self._last_index + 1 if call_id and not known else max(self._last_index, 0)
        call = self._calls.get(index)
        if call is None:
            call = self._calls[index] = _PendingCall()
        self._last_index = max(self._last_index, index)
        if call_id and call.id is None:
            call.id = str(call_id)
        function = fragment.get("function")
        if isinstance(function, dict):
            name = function.get("name")
            if name and not call.name:
                call.name = str(name)
            arguments = function.get("arguments")
            if isinstance(arguments, str):
                call.arguments.append(arguments)
            elif isinstance(arguments, dict):
                # Some servers send the object itself rather than its JSON text.
                call.arguments.append(json.dumps(arguments))

    def _flush_calls(self, events: list[Event]) -> None:
        if self._calls:
            calls = tuple(self._calls[i].finish() for i in sorted(self._calls))
            self._calls.clear()
            events.append(ToolCalls(calls))

    def _stats(self) -> Stats:
        ended = self._ended if self._ended is not None else self._clock()

        def count(key: str) -> int | None:
            value = self._usage.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        eval_duration = ended - self._first if self._first is not None else None
        total = ended - self._started if self._started is not None else None
        return Stats(
            done_reason=self._finish_reason,
            total_duration=total if total and total > 0 else None,
            prompt_eval_count=count("prompt_tokens"),
            eval_count=count("completion_tokens"),
            eval_duration=eval_duration if eval_duration and eval_duration > 0 else None,
        )
