"""Simon Willison's llm: conversations from its `logs.db` (`llm logs path` prints where it is).

The layout (llm's migrations): `conversations(id, name, model)` and one `responses` row per
prompt and reply (`prompt`, `system`, `response`, `model`, `resolved_model`, `conversation_id`,
`datetime_utc` as ISO text in UTC, `duration_ms`, `input_tokens`, `output_tokens`). Tools (llm
0.26+): `tool_calls(response_id, name, arguments JSON, tool_call_id)` are what a reply asked
for; `tool_results(response_id, name, output, tool_call_id, exception)` are sent with the next
response's prompt. Reasoning, where llm keeps it, is in `parts` rows with
`part_type = 'reasoning'` and `direction = 'output'`. Older files lack some of these columns
and tables: what is missing reads as empty.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import sqlite3
from collections import defaultdict
from pathlib import Path
from typing import Any, Final

from termchat.messages import Message, Stats, ToolCall
from termchat.store.fields import MAX_COUNT, Invalid, check_text
from termchat.store.importers.build import (
    Conversation,
    Turn,
    Unreadable,
    describe,
    text_of,
    tool_call,
)
from termchat.store.importers.sqlite_source import read_only, select, tables

LABEL: Final = "llm logs.db"
_RESPONSE: Final = (
    "id",
    "model",
    "resolved_model",
    "prompt",
    "system",
    "response",
    "conversation_id",
    "datetime_utc",
    "duration_ms",
    "input_tokens",
    "output_tokens",
)


def is_llm(names: set[str]) -> bool:
    """Whether a database with these tables is llm's."""
    return {"conversations", "responses"} <= names


def read(path: Path) -> list[Conversation | Unreadable]:
    """Every conversation of an llm logs.db.

    Raises:
        Invalid: the file is not an llm logs.db SQLite can read.
    """
    with read_only(path) as conn:
        names = tables(conn)
        if not is_llm(names):
            raise Invalid("has no conversations and responses tables: not an llm logs.db")
        titles = {
            row["id"]: row
            for row in select(conn, "conversations", ("id", "name", "model"))
            if isinstance(row["id"], str)
        }
        calls = _by_response(conn, names, "tool_calls", ("name", "arguments", "tool_call_id"))
        results = _by_response(
            conn, names, "tool_results", ("name", "output", "tool_call_id", "exception")
        )
        reasoning = _reasoning(conn, names)
        rows = select(conn, "responses", _RESPONSE, "ORDER BY conversation_id, datetime_utc, id")
        extra = (calls, results, reasoning)
        found: list[Conversation | Unreadable] = []
        for key, group in itertools.groupby(rows, key=lambda r: r["conversation_id"]):
            responses = list(group)
            if key is None:  # responses logged outside any conversation: one each
                for response in responses:
                    alone = _conversation(str(response["id"]), {}, [response], *extra)
                    found.append(alone)
                continue
            head = titles.get(key, {})
            found.append(_conversation(str(key), head, responses, *extra))
            titles.pop(key, None)
        # Conversations without a single response: counted as empty.
        found.extend(Conversation(source_id=str(key)) for key in titles)
        return found


def _by_response(
    conn: sqlite3.Connection, names: set[str], table: str, wanted: tuple[str, ...]
) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if table in names:
        for row in select(conn, table, ("response_id", *wanted), "ORDER BY rowid"):
            grouped[str(row["response_id"])].append(row)
    return grouped


def _reasoning(conn: sqlite3.Connection, names: set[str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    if "parts" in names:
        wanted = ("response_id", "content", "part_type", "direction")
        for row in select(conn, "parts", wanted, 'ORDER BY response_id, "order"'):
            kept = row["part_type"] == "reasoning" and row["direction"] == "output"
            if kept and isinstance(row["content"], str) and row["content"]:
                grouped[str(row["response_id"])].append(row["content"])
    return grouped


def _conversation(
    source_id: str,
    head: dict[str, Any],
    responses: list[dict[str, Any]],
    calls: dict[str, list[dict[str, Any]]],
    results: dict[str, list[dict[str, Any]]],
    reasoning: dict[str, list[str]],
) -> Conversation | Unreadable:
    conversation = Conversation(
        source_id=source_id,
        title=_text(head.get("name")),
        model=_text(head.get("model")),
    )
    try:
        for number, response in enumerate(responses, 1):
            rid = str(response["id"])
            when = _time(response["datetime_utc"])
            where = f"response {number}"
            system = text_of(response["system"], f"{where} system prompt")
            if system and conversation.system is None:
                conversation.system = system
            for result in results.get(rid, []):
                conversation.turns.append(Turn(_tool_result(result, where), when))
            prompt = text_of(response["prompt"], f"{where} prompt")
            if prompt:
                conversation.turns.append(Turn(Message(role="user", content=prompt), when))
            reply = Message(
                role="assistant",
                content=text_of(response["response"], f"{where} reply"),
                thinking="\n\n".join(reasoning.get(rid, [])),
                tool_calls=[_call(row, where) for row in calls.get(rid, [])],
                model=_text(response["resolved_model"]) or _text(response["model"]) or None,
                stats=_stats(response),
            )
            conversation.turns.append(Turn(reply, when))
            conversation.model = conversation.model or (reply.model or "")
            if when is not None:
                conversation.created_at = conversation.created_at or when
                conversation.updated_at = when
    except Invalid as exc:
        return Unreadable(f"llm {describe(conversation)}: {exc}")
    return conversation


def _text(value: Any) -> str:
    try:
        return check_text(value) or ""
    except Invalid:
        return ""


def _time(value: Any) -> float | None:
    """llm's `datetime_utc` (ISO text, UTC, with or without an offset)."""
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp() if moment.year >= 1970 else None


def _count(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT:
        return value
    return None


def _stats(response: dict[str, Any]) -> Stats | None:
    duration = _count(response["duration_ms"])
    stats = Stats(
        prompt_eval_count=_count(response["input_tokens"]),
        eval_count=_count(response["output_tokens"]),
        total_duration=None if duration is None else min(duration * 1_000_000, MAX_COUNT),
    )
    return None if stats == Stats() else stats


def _call(row: dict[str, Any], where: str) -> ToolCall:
    arguments: Any = row["arguments"]
    if isinstance(arguments, bytes):
        arguments = arguments.decode("utf-8", "replace")
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except (ValueError, RecursionError):
            raise Invalid(f"{where} tool call arguments are not JSON") from None
    try:
        return tool_call(row["name"], arguments, row["tool_call_id"])
    except Invalid as exc:
        raise Invalid(f"{where} tool call {exc}") from None


def _tool_result(row: dict[str, Any], where: str) -> Message:
    output = text_of(row["output"], f"{where} tool result")
    error = text_of(row["exception"], f"{where} tool error")
    return Message(
        role="tool",
        content=output or (f"Error: {error}" if error else ""),
        tool_name=text_of(row["name"], f"{where} tool name") or None,
        tool_call_id=None if row["tool_call_id"] is None else str(row["tool_call_id"]),
    )
