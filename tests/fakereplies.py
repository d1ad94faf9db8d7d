"""Scripted replies for the fake server: builders, default replies, and their wire rendering.

Pure: no sockets. A `Script` holds Ollama-form chunks plus stream behaviour (delays, cuts,
errors); `ndjson_plan` and `sse_plan` turn it into the bytes the server writes.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

AUTO: Literal["auto"] = "auto"
_TOKEN = re.compile(r"\s*\S{1,7}|\s+")
# Go's encoding/json escapes these inside strings; Ollama's stream does the same.
_GO_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


@dataclass
class Script:
    """One scripted reply and how to stream it.

    `chunks` are Ollama /api/chat chunks (`message`, `done`, stats); the OpenAI endpoint converts
    them. Counts such as `error_after` are in chunks, and a stream cut never sends the final chunk.

    Attributes:
        chunks: The chunks, normally ending with a `done: true` chunk.
        decorate: Add `model` and `created_at` to each chunk (builders do; raw lists don't).
        delay: Seconds between chunks. `first_delay`: seconds before the first one.
        error_line: Send `{"error": error_line}` after `error_after` chunks, then end the body.
        drop_after: Close the connection after this many chunks (no done, no chunked terminator).
        reset: With `drop_after`, reset the connection (TCP RST) instead of closing it.
        truncate_after: End the body cleanly after this many chunks, without the done chunk.
        raw_line: A line written verbatim (e.g. not JSON) after `raw_after` chunks.
        hold_after: After this many chunks, wait until the client disconnects or
            `FakeServer.release()` is called.
        status, body, content_type: A pre-stream HTTP error (status >= 400) instead of a stream.
        reasoning_field: OpenAI only: "reasoning", "reasoning_content" or "think_tags" (raw
            `<think>` tags in content).
        usage: OpenAI only: "separate" (a `choices: []` chunk, if requested), "finish" (on the
            finish chunk) or "none".
        keepalive: OpenAI only: `: keep-alive` comment lines between events.
        arg_pieces: OpenAI only: how many fragments each call's arguments string is cut into.
        done_marker: OpenAI only: end with `data: [DONE]` (False: EOF without it).

    Hostile modes (a server that misbehaves on purpose):
        endless: After the chunks (or, with an error status, as the error body), write these
            bytes again and again until the client hangs up: an unterminated line, an endless
            error body.
        gzip: Send `body` gzip-compressed with `Content-Encoding: gzip`.
        gzip_bomb: Send a gzip body that inflates to this many zero bytes.
        headers: Extra response headers (a redirect's `Location`, ...); a 3xx status with
            them is sent as it is.
        newline: OpenAI only: the line ending of the SSE stream ("\r" or "\r\n" instead of "\n").
        auto_prompt: The server puts its own count of the request's prompt on the final chunk
            (`prompt_eval_count`, OpenAI `prompt_tokens`), after dropping the oldest messages
            that do not fit the context, as Ollama does.
    """

    chunks: list[dict[str, Any]] = field(default_factory=list)
    decorate: bool = False
    delay: float = 0.0
    first_delay: float = 0.0
    error_line: str | None = None
    error_after: int = 0
    drop_after: int | None = None
    reset: bool = False
    truncate_after: int | None = None
    raw_line: str | None = None
    raw_after: int = 0
    hold_after: int | None = None
    status: int = 200
    body: Any = None
    content_type: str | None = None
    reasoning_field: Literal["reasoning", "reasoning_content", "think_tags"] = "reasoning"
    usage: Literal["separate", "finish", "none"] = "separate"
    keepalive: bool = False
    arg_pieces: int = 3
    done_marker: bool = True
    endless: bytes | None = None
    gzip: bool = False
    gzip_bomb: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    newline: str = "\n"
    auto_prompt: bool = False

    def raw_answer(self) -> bool:
        """Whether this is an answer sent as it is (not a chat stream nor a plain error)."""
        hostile = self.gzip or self.gzip_bomb > 0 or bool(self.headers)
        return 300 <= self.status < 400 or hostile or (self.status >= 400 and bool(self.endless))

    def cut(self) -> int | None:
        """How many chunks are sent before the stream is cut short, or None for a full stream."""
        cuts = [c for c in (self.drop_after, self.truncate_after) if c is not None]
        if self.error_line is not None:
            cuts.append(self.error_after)
        return min(cuts) if cuts else None


def tokens(text: str, size: int | None = None) -> list[str]:
    """Split text into stream pieces: word-like tokens (leading space kept), or `size` chars."""
    if not text:
        return []
    if size:
        return [text[i : i + size] for i in range(0, len(text), size)]
    return _TOKEN.findall(text)


def _wire_call(call: dict[str, Any], index: int) -> dict[str, Any]:
    """Accept `{"name", "arguments", "id"?}` or the wire form; return the wire form."""
    if "function" in call:
        return call
    out: dict[str, Any] = {
        "function": {"index": index, "name": call["name"], "arguments": call.get("arguments", {})}
    }
    if call.get("id"):
        out["id"] = call["id"]
    return out


def auto_stats(generated: int, tps: float | None = None) -> dict[str, Any]:
    """Plausible final-chunk metrics for `generated` tokens (default 50 tokens/s)."""
    per_token = int(1e9 / tps) if tps else 20_000_000
    eval_duration = max(generated, 1) * per_token
    stats = {
        "total_duration": 5_000_000 + 12_000_000 + eval_duration,
        "load_duration": 5_000_000,
        "prompt_eval_count": 24,
        "prompt_eval_duration": 12_000_000,
        "eval_count": generated,
        "eval_duration": eval_duration,
    }
    return stats


def reply(
    *,
    thinking: str = "",
    content: str = "",
    tool_calls: list[dict[str, Any]] | None = None,
    tool_calls_mode: Literal["together", "each", "done"] = "together",
    content_on_done: bool = False,
    token_chars: int | None = None,
    stats: dict[str, Any] | Literal["auto"] | None = AUTO,
    done_reason: str | None = "stop",
    tps: float | None = None,
    **stream: Any,
) -> Script:
    """Build a Script the way a real model streams.

    Thinking pieces come first; the chunk where thinking ends also carries the first content
    piece. Tool calls go in one chunk after the content ("together"), one chunk each ("each"),
    or on the final chunk ("done").

    Args:
        thinking: Reasoning text. content: Answer text (Markdown).
        tool_calls: Calls as `{"name", "arguments", "id"?}` (or wire form).
        tool_calls_mode: Where the calls go, see above.
        content_on_done: Put the last content piece on the done chunk.
        token_chars: Piece size in characters; None splits into word-like tokens.
        stats: Final metrics: "auto", a dict sent as given, or None for no metrics at all.
        done_reason: The final chunk's done_reason (None: absent).
        tps: Tokens per second; sets `delay` and the auto stats.
        **stream: Other Script fields (delay, error_line, drop_after, reasoning_field, ...).
    """
    think_parts = tokens(thinking, token_chars)
    content_parts = tokens(content, token_chars)
    generated = len(think_parts) + len(content_parts)
    last_content = content_parts.pop() if content_on_done and content_parts else None
    chunks: list[dict[str, Any]] = []
    for part in think_parts:
        chunks.append({"message": {"role": "assistant", "content": "", "thinking": part}})
    if chunks and content_parts:
        chunks[-1]["message"]["content"] = content_parts.pop(0)
    for part in content_parts:
        chunks.append({"message": {"role": "assistant", "content": part}})
    calls = [_wire_call(call, i) for i, call in enumerate(tool_calls or [])]
    if calls and tool_calls_mode == "together":
        chunks.append({"message": {"role": "assistant", "content": "", "tool_calls": calls}})
    elif calls and tool_calls_mode == "each":
        for call in calls:
            chunks.append({"message": {"role": "assistant", "content": "", "tool_calls": [call]}})
    final: dict[str, Any] = {"message": {"role": "assistant", "content": last_content or ""}}
    if calls and tool_calls_mode == "done":
        final["message"]["tool_calls"] = calls
    final["done"] = True
    if done_reason is not None:
        final["done_reason"] = done_reason
    if stats == AUTO:
        final.update(auto_stats(generated, tps))
    elif stats:
        final.update(stats)
    chunks.append(final)
    if tps and "delay" not in stream:
        stream["delay"] = 1.0 / tps
    stream.setdefault("auto_prompt", stats == AUTO)
    return Script(chunks=chunks, decorate=True, **stream)


def prompt_count(messages: list[Any], context: int) -> int:
    """The prompt tokens of a request as the fake counts them (four characters a token, four
    per message; reasoning only after the last question, as chat templates do), after
    dropping the oldest messages that do not fit `context`, keeping system messages and the
    last one, as Ollama does silently."""
    rows = [m for m in messages if isinstance(m, dict)]
    last_user = max((i for i, m in enumerate(rows) if m.get("role") == "user"), default=0)

    def size(index: int) -> int:
        message = rows[index]
        text = message.get("content")
        total = 4 + (len(text) + 3) // 4 if isinstance(text, str) else 4
        thinking = message.get("thinking")
        if index > last_user and isinstance(thinking, str):
            total += (len(thinking) + 3) // 4
        return total

    kept = list(range(len(rows)))
    while sum(size(i) for i in kept) > context and len(kept) > 1:
        oldest = next((i for i in kept[:-1] if rows[i].get("role") != "system"), None)
        if oldest is None:
            break
        kept.remove(oldest)
    return sum(size(i) for i in kept)


def default_reply(text: str, thinks: bool) -> Script:
    """The reply when nothing is queued: thinking "The user said: X" and content "You said: X"."""
    return reply(thinking=f"The user said: {text}" if thinks else "", content=echo_content(text))


def echo_content(text: str) -> str:
    """The content of the default reply to `text`."""
    return f"You said: {text}\n\nThis reply comes from the **fake** server."


# --- a long, realistic Markdown answer ---------------------------------------------------

_SECTIONS = [
    "## {n}. Why streaming matters\n\n"
    "A language model produces its answer one token at a time, so a client that waits for the "
    "whole reply feels **slow** even when the model is fast. Printing tokens as they arrive keeps "
    "the user informed, and it lets them stop a reply that goes the wrong way.\n\n"
    "- Show the first token as soon as it arrives.\n"
    "- Keep the *unfinished* block live and print finished blocks once.\n"
    "- Never redraw the whole answer on every frame.\n",
    "## {n}. A small example\n\n"
    "The function below reads a stream of JSON lines and counts the tokens it saw:\n\n"
    "```python\n"
    "import json\n\n\n"
    "def count_tokens(lines):\n"
    '    """Count content pieces in an NDJSON stream."""\n'
    "    total = 0\n"
    "    for line in lines:\n"
    "        chunk = json.loads(line)\n"
    '        if chunk.get("done"):\n'
    "            break\n"
    '        total += bool(chunk["message"].get("content"))\n'
    "    return total\n"
    "```\n\n"
    "Each line is parsed on its own, so a slow reader never holds more than one line.\n",
    "## {n}. Comparing the options\n\n"
    "| Approach | Latency | Memory | Notes |\n"
    "|---|---|---|---|\n"
    "| Wait for the full reply | high | grows | simple but feels frozen |\n"
    "| Redraw everything | low | grows | flickers, quadratic cost |\n"
    "| Print finished blocks | low | bounded | what good clients do |\n\n"
    "The last row is the one to aim for: it is both `fast` and calm to read.\n",
    "## {n}. Steps to follow\n\n"
    "1. Open the connection with a short connect timeout.\n"
    "2. Read the body without a read timeout; thinking can be silent for minutes.\n"
    "3. Split the bytes into lines and parse each one.\n"
    "4. Close the response when the user presses Ctrl-C.\n\n"
    "> Closing the response is what tells the server to stop generating; ignoring it is not "
    "enough.\n",
    "## {n}. Shell usage\n\n"
    "You can try a server by hand with `curl`:\n\n"
    "```bash\n"
    "curl -N http://127.0.0.1:11434/api/chat \\\n"
    '  -d \'{{"model": "qwen3", "messages": [{{"role": "user", "content": "hi"}}]}}\'\n'
    "```\n\n"
    "The `-N` flag turns off buffering so that each line appears as soon as it is sent.\n",
]


def long_markdown(tokens_wanted: int = 1200) -> str:
    """A long Markdown answer (headings, lists, code blocks, tables, quotes) of about
    `tokens_wanted` word-like tokens. Deterministic."""
    parts = [
        "# A longer answer\n\nHere is a detailed walk through the topic, section by section.\n"
    ]
    count = len(tokens(parts[0]))
    n = 0
    while count < tokens_wanted:
        section = _SECTIONS[n % len(_SECTIONS)].format(n=n + 1)
        parts.append(section)
        count += len(tokens(section))
        n += 1
    parts.append("That covers the main points; ask if you want more detail on any step.\n")
    return "\n".join(parts)


# --- wire rendering ------------------------------------------------------------------------


_compact = json.JSONEncoder(separators=(",", ":")).encode
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _go_json(obj: Any) -> bytes:
    text = _encode(obj)
    if "<" in text or ">" in text or "&" in text or "\u2028" in text or "\u2029" in text:
        text = text.translate(_GO_ESCAPES)
    try:
        return text.encode()
    except UnicodeEncodeError:
        # Half a surrogate pair (a tokenizer that split a character): sent as a \ud83d escape.
        return _compact(obj).encode()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Plan:
    """The bytes of one streamed reply: a unit per chunk, then the ending.

    `units[i]` is written for chunk i (may be empty); `final` completes the reply (done chunk,
    or finish + usage + [DONE]); `error` replaces the rest when the stream fails.
    """

    units: list[bytes]
    final: bytes
    error: bytes
    raw: bytes


def ndjson_plan(script: Script, model: str) -> Plan:
    """Render a Script as /api/chat NDJSON lines."""
    created = _now()
    lines = []
    for chunk in script.chunks:
        if script.decorate:
            chunk = {"model": model, "created_at": created, **chunk}
            if "done" not in chunk:
                chunk["done"] = False
        lines.append(_go_json(chunk) + b"\n")
    final = b""
    if script.chunks and script.chunks[-1].get("done") is True:
        final = lines.pop()
    error = _go_json({"error": script.error_line}) + b"\n" if script.error_line else b""
    raw = (script.raw_line or "").encode() + b"\n" if script.raw_line is not None else b""
    return Plan(units=lines, final=final, error=error, raw=raw)


def _call_id(call: dict[str, Any], model: str, index: int) -> str:
    if call.get("id"):
        return str(call["id"])
    digest = hashlib.sha256(f"{model}{index}{call}".encode()).hexdigest()
    return f"call_{digest[:8]}"


def _pieces(text: str, count: int) -> list[str]:
    if count <= 1 or len(text) <= 1:
        return [text]
    size = -(-len(text) // count)
    return [text[i : i + size] for i in range(0, len(text), size)]


def sse_plan(script: Script, model: str, include_usage: bool, serial: int) -> Plan:
    """Render a Script as OpenAI chat.completion.chunk SSE events."""
    base = {
        "id": f"chatcmpl-{serial}",
        "object": "chat.completion.chunk",
        "created": int(datetime.now(UTC).timestamp()),
        "model": model,
        "system_fingerprint": "fp_fake",
    }

    def event(choices: list[dict[str, Any]], usage: dict[str, Any] | None = None) -> bytes:
        obj = {**base, "choices": choices}
        if usage is not None:
            obj["usage"] = usage
        return b"data: " + _compact(obj).encode() + b"\n\n"

    def delta_event(delta: dict[str, Any]) -> bytes:
        return event([{"index": 0, "delta": delta, "finish_reason": None}])

    keepalive = b": keep-alive\n\n" if script.keepalive else b""
    units: list[bytes] = []
    final = b""
    first = True
    thinking_open = False
    call_count = 0
    for chunk in script.chunks:
        message = chunk.get("message") or {}
        out: list[bytes] = []
        delta: dict[str, Any] = {"role": "assistant"} if first else {}
        first = False
        thinking = message.get("thinking") or ""
        content = message.get("content") or ""
        if script.reasoning_field == "think_tags":
            text = ""
            if thinking:
                text += thinking if thinking_open else "<think>" + thinking
                thinking_open = True
            if thinking_open and (content or chunk.get("done") or message.get("tool_calls")):
                text += "</think>\n\n"
                thinking_open = False
            content = text + content
        elif thinking:
            delta[script.reasoning_field] = thinking
        if content:
            delta["content"] = content
        if delta:
            out.append(delta_event(delta))
        for call in message.get("tool_calls") or []:
            function = call.get("function") or {}
            index = call_count
            call_count += 1
            head = {
                "index": index,
                "id": _call_id(call, model, index),
                "type": "function",
                "function": {"name": function.get("name", ""), "arguments": ""},
            }
            out.append(delta_event({"tool_calls": [head]}))
            arguments = json.dumps(function.get("arguments", {}))
            for piece in _pieces(arguments, script.arg_pieces):
                fragment = {"index": index, "function": {"arguments": piece}}
                out.append(delta_event({"tool_calls": [fragment]}))
        if chunk.get("done") is True:
            reason = "tool_calls" if call_count else (chunk.get("done_reason") or "stop")
            usage = None
            if "eval_count" in chunk or "prompt_eval_count" in chunk:
                prompt, completion = chunk.get("prompt_eval_count", 0), chunk.get("eval_count", 0)
                usage = {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                }
            finish: list[dict[str, Any]] = [{"index": 0, "delta": {}, "finish_reason": reason}]
            ending = [
                event(finish, usage if script.usage == "finish" and usage else None),
            ]
            if script.usage == "separate" and usage and include_usage:
                ending.append(event([], usage))
            if script.done_marker:
                ending.append(b"data: [DONE]\n\n")
            final = keepalive.join(out + ending)
            break
        units.append(keepalive + b"".join(out) if out else keepalive)
    error = b""
    if script.error_line:
        error = (
            b"data: "
            + json.dumps(
                {"error": {"message": script.error_line, "type": "server_error", "code": 500}}
            ).encode()
            + b"\n\n"
        )
    raw = b"data: " + script.raw_line.encode() + b"\n\n" if script.raw_line is not None else b""
    return Plan(units=units, final=final, error=error, raw=raw)


def with_newline(plan: Plan, newline: str) -> Plan:
    """The same SSE plan with every line ending written as `newline` (SSE allows CR and CRLF)."""
    if newline == "\n":
        return plan
    end = newline.encode()

    def convert(data: bytes) -> bytes:
        return data.replace(b"\n", end)

    return Plan(
        units=[convert(u) for u in plan.units],
        final=convert(plan.final),
        error=convert(plan.error),
        raw=convert(plan.raw),
    )
