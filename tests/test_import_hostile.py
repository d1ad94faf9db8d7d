"""Crafted `sessions import` files are refused whole, with the reason; nothing is half-written.

A table of hostile documents (huge, NaN, negative and infinite numbers, wrong types everywhere,
deep nesting, huge strings, bad roles, bad tool calls, duplicate ids, cyclic parents, …) goes
through the importer against a real database file; a hypothesis property test mutates a valid
export at random. The importer never raises anything but StoreError and never leaves a partial
session behind; what it accepts can be listed, shown, exported and imported again.
"""

from __future__ import annotations

import copy
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from termchat.errors import StoreError
from termchat.messages import Message, Stats, ToolCall
from termchat.store import SessionStore
from termchat.store.export import MAX_IMPORT_CHARS, export_json, import_file, import_json

NOTE_HASH = hashlib.sha256(b"hello").hexdigest()
NOTE_REF = {"name": "note.txt", "mime": "text/plain", "size": 5, "sha256": NOTE_HASH}


def valid_document() -> dict[str, Any]:
    """A small export using every field: two turns, one retried reply, a tool call."""
    call = {"function": {"name": "clock", "arguments": {"tz": "UTC"}, "index": 0}, "id": "c1"}

    def message(role: str, content: str, seq: int, gen: int = 0, **extra: Any) -> dict[str, Any]:
        base: dict[str, Any] = {
            "role": role,
            "content": content,
            "thinking": "",
            "tool_calls": [],
            "tool_name": None,
            "tool_call_id": None,
            "images": [],
            "attachments": [],
            "model": "qwen3" if role == "assistant" else None,
            "stats": None,
            "interrupted": False,
            "error": None,
            "created_at": 1_700_000_000.0 + seq,
            "seq": seq,
            "gen": gen,
            "parent_gen": None if seq == 0 else 0,
        }
        base.update(extra)
        return base

    return {
        "format": "termchat-session",
        "version": 1,
        "id": "abcd1234",
        "title": "Time",
        "model": "qwen3",
        "system": "Be brief.",
        "options": {"temperature": 0.2, "num_ctx": 4096, "stop": ["END"]},
        "think": "high",
        "created_at": 1_700_000_000.0,
        "updated_at": 1_700_000_100.0,
        "messages": [
            message("user", "What time is it?", 0, images=["aW1n"], attachments=[dict(NOTE_REF)]),
            message("assistant", "", 1, thinking="Use the clock.", tool_calls=[call]),
            message("tool", "12:00", 2, tool_name="clock", tool_call_id="c1"),
            message(
                "assistant",
                "Noon.",
                3,
                stats={"done_reason": "stop", "eval_count": 3, "eval_duration": 10**9},
            ),
        ],
        "alternatives": [message("assistant", "It is 12.", 3, gen=1, interrupted=True)],
        "attachments": {NOTE_HASH: {"mime": "text/plain", "data": "aGVsbG8="}},
    }


def nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = {"a": value}
    return value


Edit = Callable[[dict[str, Any]], Any]


def at(path: str, value: Any) -> Edit:
    """Set a dotted path (list indexes as numbers) in the document to `value`."""

    def edit(doc: dict[str, Any]) -> Any:
        *head, last = path.split(".")
        target: Any = doc
        for key in head:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
        return doc

    return edit


def drop(path: str) -> Edit:
    def edit(doc: dict[str, Any]) -> Any:
        *head, last = path.split(".")
        target: Any = doc
        for key in head:
            target = target[int(key)] if isinstance(target, list) else target[key]
        del target[last]
        return doc

    return edit


def text_of(raw: str) -> Edit:
    """A whole file given as text (for what JSON values cannot express)."""
    return lambda doc: raw


BIG = 10**400
CRAFTED: list[Any] = [
    # numbers: huge, NaN, infinite, negative, too many digits
    pytest.param(at("updated_at", 1e300), "updated_at", id="updated-1e300"),
    pytest.param(at("updated_at", float("inf")), "updated_at", id="updated-infinity"),
    pytest.param(at("created_at", float("nan")), "created_at", id="created-nan"),
    pytest.param(at("created_at", -86400.0), "created_at", id="created-negative"),
    pytest.param(at("updated_at", BIG), "updated_at", id="updated-400-digits"),
    pytest.param(at("messages.0.created_at", 1e300), "created_at", id="message-time-1e300"),
    pytest.param(at("messages.3.stats.eval_count", BIG), "eval_count", id="stat-400-digits"),
    pytest.param(at("messages.3.stats.eval_duration", -5), "eval_duration", id="stat-negative"),
    pytest.param(at("messages.3.stats.eval_count", 2.5), "eval_count", id="stat-float"),
    pytest.param(at("messages.3.stats.eval_count", "9"), "eval_count", id="stat-string"),
    pytest.param(at("messages.3.stats.done_reason", 7), "done_reason", id="stat-reason-number"),
    pytest.param(at("messages.3.stats", [1, 2]), "stats", id="stats-list"),
    pytest.param(at("messages.1.seq", BIG), "seq", id="seq-400-digits"),
    pytest.param(at("alternatives.0.gen", 2**70), "gen", id="gen-huge"),
    pytest.param(at("alternatives.0.gen", -1), "gen", id="gen-negative"),
    pytest.param(text_of('{"messages": [], "updated_at": NaN}'), "updated_at", id="bare-NaN"),
    pytest.param(text_of('{"messages": [], "created_at": -Infinity}'), "created_at", id="bare-inf"),
    pytest.param(
        at("messages.1.tool_calls.0.function.arguments", {"x": float("nan")}),
        "NaN",
        id="call-args-nan",
    ),
    pytest.param(text_of('{"messages": [], "x": ' + "9" * 5000 + "}"), "number", id="5000-digits"),
    pytest.param(at("options.temperature", float("inf")), "temperature", id="option-infinite"),
    pytest.param(at("options.num_ctx", BIG), "num_ctx", id="option-huge-int"),
    # wrong types everywhere
    pytest.param(text_of('"a string"'), "JSON object", id="top-string"),
    pytest.param(text_of("null"), "JSON object", id="top-null"),
    pytest.param(at("messages", {"0": {}}), "messages", id="messages-object"),
    pytest.param(drop("messages"), "messages", id="messages-missing"),
    pytest.param(at("alternatives", "none"), "alternatives", id="alternatives-string"),
    pytest.param(at("title", 42), "title", id="title-number"),
    pytest.param(at("model", ["qwen3"]), "model", id="model-list"),
    pytest.param(at("system", {"text": "x"}), "system", id="system-object"),
    pytest.param(at("options", [1, 2]), "options", id="options-list"),
    pytest.param(at("options", {"rm -rf": 1}), "rm -rf", id="option-unknown"),
    pytest.param(at("options.stop", [1]), "stop", id="option-stop-number"),
    pytest.param(at("think", "maybe"), "think", id="think-unknown"),
    pytest.param(at("think", 3), "think", id="think-number"),
    pytest.param(at("version", "1"), "version", id="version-string"),
    pytest.param(at("version", 0), "version", id="version-zero"),
    pytest.param(at("version", 2), "version", id="version-newer"),
    pytest.param(at("format", "other"), "format", id="format-other"),
    pytest.param(at("id", {"$": 1}), "id", id="id-object"),
    pytest.param(at("messages.0.content", 5), "content", id="content-number"),
    pytest.param(at("messages.0.content", ["a"]), "content", id="content-list"),
    pytest.param(at("messages.1.thinking", {"a": 1}), "thinking", id="thinking-object"),
    pytest.param(at("messages.0.images", "aW1n"), "images", id="images-string"),
    pytest.param(at("messages.0.images", [1]), "images", id="image-number"),
    pytest.param(at("messages.0.images", ["not base64!"]), "images", id="image-not-base64"),
    pytest.param(at("messages.3.interrupted", "yes"), "interrupted", id="interrupted-string"),
    pytest.param(at("messages.2.tool_name", 1), "tool_name", id="tool-name-number"),
    pytest.param(at("messages.3.error", ["x"]), "error", id="error-list"),
    pytest.param(at("messages.0", "hello"), "messages[0]", id="message-string"),
    # attachments: every content must be what its hash and type say, every reference resolve
    pytest.param(at("attachments", []), "attachments", id="contents-list"),
    pytest.param(at(f"attachments.{NOTE_HASH}.data", "aGVsbG8"), "base64", id="content-padding"),
    pytest.param(at(f"attachments.{NOTE_HASH}.data", 5), "base64", id="content-number"),
    pytest.param(at(f"attachments.{NOTE_HASH}.data", "aGVsbG9v"), "SHA-256", id="content-hash"),
    pytest.param(at(f"attachments.{NOTE_HASH}.mime", "image/png"), "image/png", id="content-mime"),
    pytest.param(at("messages.0.attachments", {"a": 1}), "attachments", id="refs-object"),
    pytest.param(at("messages.0.attachments.0.sha256", "0" * 64), "does not hold", id="ref-gone"),
    pytest.param(at("messages.0.attachments.0.name", ""), "no name", id="ref-no-name"),
    # bad roles
    pytest.param(at("messages.0.role", "admin"), "role", id="role-unknown"),
    pytest.param(at("messages.0.role", 1), "role", id="role-number"),
    pytest.param(drop("messages.0.role"), "role", id="role-missing"),
    # bad tool calls
    pytest.param(at("messages.1.tool_calls", {"a": 1}), "tool_calls", id="calls-object"),
    pytest.param(at("messages.1.tool_calls.0.function", True), "tool_calls", id="call-true"),
    pytest.param(at("messages.1.tool_calls.0.function.name", 3), "tool_calls", id="call-name"),
    pytest.param(at("messages.1.tool_calls.0.function.name", ""), "tool_calls", id="call-noname"),
    pytest.param(
        at("messages.1.tool_calls.0.function.arguments", "{}"), "tool_calls", id="call-args-text"
    ),
    pytest.param(at("messages.1.tool_calls.0.function.index", "0"), "tool_calls", id="call-index"),
    pytest.param(at("messages.1.tool_calls.0.id", {"a": 1}), "tool_calls", id="call-id-object"),
    pytest.param(
        at("messages.1.tool_calls", [valid_document()["messages"][1]["tool_calls"][0]] * 2),
        "tool_calls",
        id="call-duplicate-ids",
    ),
    pytest.param(
        at("messages.0.tool_calls", valid_document()["messages"][1]["tool_calls"]),
        "tool_calls",
        id="calls-on-user",
    ),
    # deep nesting
    pytest.param(text_of("[" * 100_000 + "]" * 100_000), "nested", id="nesting-100000"),
    pytest.param(
        at("messages.1.tool_calls.0.function.arguments", nested(200)), "nested", id="args-deep"
    ),
    pytest.param(at("options.stop", [["x"]]), "stop", id="option-nested"),
    # huge strings
    pytest.param(at("title", "t" * 100_000), "title", id="title-huge"),
    pytest.param(at("model", "m" * 100_000), "model", id="model-huge"),
    pytest.param(
        at("messages.1.tool_calls.0.function.name", "n" * 10_000), "tool_calls", id="call-name-huge"
    ),
    pytest.param(at("messages.0.content", "\ud800"), "Unicode", id="lone-surrogate"),
    pytest.param(at("title", "a\udfffb"), "Unicode", id="lone-surrogate-title"),
    # duplicate ids, cyclic and broken parents
    pytest.param(
        at("alternatives.0", {**valid_document()["messages"][3], "interrupted": True}),
        "two rows",
        id="duplicate-seq-gen",
    ),
    pytest.param(at("messages.0.parent_gen", 0), "parent", id="cycle-first-has-parent"),
    pytest.param(at("alternatives.0.parent_gen", 1), "parent", id="cycle-parent-is-itself"),
    pytest.param(at("alternatives.0.parent_gen", 7), "parent", id="orphan"),
    pytest.param(at("messages.2.seq", 9), "parent", id="gap-in-history"),
    pytest.param(at("alternatives.0.seq", None), "seq", id="alternative-without-seq"),
]


def counts(path: Path) -> tuple[int, int]:
    conn = sqlite3.connect(path)
    try:
        sessions = conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
        messages = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    finally:
        conn.close()
    return sessions, messages


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SessionStore]:
    with SessionStore.open(tmp_path / "sessions.db") as opened:
        sid = opened.create_session("qwen3").id
        opened.append_message(sid, Message("user", "already here"))
        yield opened


def test_valid_document_imports_and_round_trips(store: SessionStore) -> None:
    doc = valid_document()
    sid = import_file(store, json.dumps(doc))
    again = export_json(store, sid)
    assert {**again, "id": doc["id"]} == doc


@pytest.mark.parametrize(("edit", "reason"), CRAFTED)
def test_crafted_file_is_refused_whole_with_the_reason(
    store: SessionStore, edit: Edit, reason: str
) -> None:
    doc = edit(valid_document())
    text = doc if isinstance(doc, str) else json.dumps(doc)
    before = counts(store.path)
    with pytest.raises(StoreError) as caught:
        import_file(store, text)
    message = str(caught.value)
    assert message.startswith("Cannot import:"), message
    assert reason in message, message
    assert "\n" not in message and len(message) < 300, message
    assert counts(store.path) == before


def test_file_larger_than_the_limit_is_refused_before_parsing(store: SessionStore) -> None:
    before = counts(store.path)
    with pytest.raises(StoreError, match="too large"):
        import_file(store, " " * (MAX_IMPORT_CHARS + 1))
    assert counts(store.path) == before


# --- property: any mutation of a valid export --------------------------------------------

LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["user", "assistant", "tool", "system", "high", "", "aW1n", "\ud800"]),
)
VALUES = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a JSON value (the value itself included)."""
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += paths(item, (*prefix, index))
    return out


def mutate(doc: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    if not path:
        return value
    target = doc
    for key in path[:-1]:
        target = target[key]
    if delete and isinstance(target, dict):
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


@st.composite
def mutated_documents(draw: st.DrawFn) -> Any:
    doc = valid_document()
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        choices = paths(doc)
        path = draw(st.sampled_from(choices))
        doc = mutate(doc, path, draw(VALUES), draw(st.booleans()))
    return doc


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(doc=mutated_documents())
def test_import_never_raises_but_store_error_and_never_half_writes(
    tmp_path: Path, doc: Any
) -> None:
    path = tmp_path / "prop.db"
    with SessionStore.open(path) as store:
        before = counts(path)
        try:
            text = json.dumps(copy.deepcopy(doc), allow_nan=True)
        except (ValueError, RecursionError):
            return
        try:
            sid = import_file(store, text)
        except StoreError as exc:
            assert str(exc).startswith("Cannot import:")
            assert counts(path) == before
            return
        # Accepted: it reads back, lists, exports and imports again without a fault.
        assert counts(path)[0] == before[0] + 1
        store.load_rows(sid, include_inactive=True)
        assert any(s.id == sid for s in store.list_sessions(limit=None))
        import_json(store, export_json(store, sid))


def test_imported_stats_and_times_read_back_as_numbers(store: SessionStore) -> None:
    sid = import_json(store, valid_document())
    rows = store.load_rows(sid)
    assert rows[3].message.stats == Stats(done_reason="stop", eval_count=3, eval_duration=10**9)
    assert rows[1].message.tool_calls == [ToolCall("clock", {"tz": "UTC"}, id="c1", index=0)]
    assert store.get_session(sid).updated_at == 1_700_000_100.0


def test_tool_call_arguments_nested_to_the_limit_come_back_whole(store: SessionStore) -> None:
    doc = valid_document()
    doc["messages"][1]["tool_calls"][0]["function"]["arguments"] = nested(32)
    sid = import_json(store, doc)
    assert store.load_rows(sid)[1].message.tool_calls[0].arguments == nested(32)
    doc["messages"][1]["tool_calls"][0]["function"]["arguments"] = nested(33)
    with pytest.raises(StoreError, match="nested too deeply"):
        import_json(store, doc)
