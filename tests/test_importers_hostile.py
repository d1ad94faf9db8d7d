"""Crafted files from other clients: the importers never raise anything but StoreError, never leave
a conversation half-written, and what they store can be listed, shown and exported.

Hypothesis mutates the valid ChatGPT export and aichat session (any value anywhere replaced by
any JSON-like value, keys deleted); a table puts odd SQLite values (blobs, huge and negative
numbers, wrong types) into every column of llm's and oterm's files.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import importfixtures as fx
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from termchat.errors import StoreError
from termchat.store import SessionStore
from termchat.store.export import export_json, export_markdown
from termchat.store.importers import import_history

LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["user", "assistant", "tool", "system", "code", "thoughts", "\ud800", "a2"]),
)
VALUES = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def places(doc: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside `doc`."""
    found = [at]
    items = (
        doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    )
    for key, value in items:
        found.extend(places(value, (*at, key)))
    return found


def mutate(doc: Any, at: tuple[Any, ...], value: Any, delete: bool) -> Any:
    if not at:
        return value
    target = doc
    for key in at[:-1]:
        target = target[key]
    if delete and isinstance(target, dict):
        del target[at[-1]]
    else:
        target[at[-1]] = value
    return doc


@st.composite
def mutated(draw: st.DrawFn, start: Any) -> Any:
    doc = json.loads(json.dumps(start))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        at = draw(st.sampled_from(places(doc)))
        doc = mutate(doc, at, draw(VALUES), draw(st.booleans()))
    return doc


def check_import(store: SessionStore, path: Path, fmt: str) -> None:
    """Import; only StoreError may come out; every stored conversation reads back whole."""
    try:
        report = import_history(store, path, fmt)
    except StoreError as exc:
        assert str(exc).startswith(f"Cannot import {path}: ")
        assert store.list_sessions(limit=None) == []
        return
    assert len(report.session_ids) <= len(store.list_sessions(limit=None))
    for new_id in report.session_ids:
        export_json(store, new_id)
        export_markdown(store, new_id)
    assert report.summary().startswith("Imported ")


def set_column(path: Path, table: str, column: str, value: Any) -> None:
    """Set `column` of every row of `table` in the SQLite file at `path` to `value`."""
    conn = sqlite3.connect(path)
    conn.execute(f'UPDATE "{table}" SET "{column}" = ?', (value,))
    conn.commit()
    conn.close()


SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _chatgpt_document(tmp: Path) -> Any:
    return json.loads(fx.chatgpt_export(tmp / "seed.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def chatgpt_seed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return _chatgpt_document(tmp_path_factory.mktemp("seed"))


@SETTINGS
@given(data=st.data())
def test_mutated_chatgpt_exports_never_crash(
    tmp_path: Path, chatgpt_seed: Any, data: st.DataObject
) -> None:
    doc = data.draw(mutated(chatgpt_seed))
    folder = Path(tempfile.mkdtemp(dir=tmp_path))  # tmp_path is shared by the examples
    path = folder / "conversations.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with SessionStore.open(folder / "prop.db") as store:
        check_import(store, path, "chatgpt")


@SETTINGS
@given(data=st.data())
def test_mutated_aichat_sessions_never_crash(tmp_path: Path, data: st.DataObject) -> None:
    doc = data.draw(mutated(yaml.safe_load(fx.AICHAT_SESSION)))
    try:
        text = yaml.safe_dump(doc, allow_unicode=True)
    except yaml.YAMLError:
        assume(False)  # a lone surrogate cannot even be written as YAML
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    path = folder / "s.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    with SessionStore.open(folder / "prop.db") as store:
        check_import(store, path, "aichat")


ODD = [
    pytest.param(b"\xff\xfe", id="blob"),
    pytest.param(-(2**63), id="min-int"),
    pytest.param(2**63 - 1, id="max-int"),
    pytest.param(1e308, id="huge-float"),
    pytest.param("[]", id="json-list"),
    pytest.param("x" * 100_000, id="long-text"),
    pytest.param(None, id="null"),
]


@pytest.mark.parametrize("value", ODD)
@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("responses", "prompt"),
        ("responses", "response"),
        ("responses", "datetime_utc"),
        ("responses", "duration_ms"),
        ("responses", "input_tokens"),
        ("responses", "model"),
        ("responses", "conversation_id"),
        ("conversations", "name"),
        ("tool_calls", "arguments"),
        ("tool_calls", "name"),
        ("tool_results", "output"),
        ("tool_results", "tool_call_id"),
        ("parts", "content"),
    ],
)
def test_odd_values_in_an_llm_logs_db_never_crash(
    tmp_path: Path, table: str, column: str, value: Any
) -> None:
    path = fx.llm_logs(tmp_path / "logs.db")
    set_column(path, table, column, value)
    with SessionStore.open(tmp_path / "sessions.db") as store:
        check_import(store, path, "llm")


OTERM_COLUMNS = [
    ("chat", "name"),
    ("chat", "model"),
    ("chat", "parameters"),
    ("chat", "thinking"),
    ("message", "author"),
    ("message", "text"),
    ("message", "images"),
    ("message", "chat_id"),
]
NOT_NULL = {("chat", "model"), ("message", "author"), ("message", "text"), ("message", "chat_id")}


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        pytest.param(table, column, odd.values[0], id=f"{table}-{column}-{odd.id}")
        for table, column in OTERM_COLUMNS
        for odd in ODD
        if not (odd.values[0] is None and (table, column) in NOT_NULL)  # oterm's schema refuses
    ],
)
def test_odd_values_in_an_oterm_store_db_never_crash(
    tmp_path: Path, table: str, column: str, value: Any
) -> None:
    path = fx.oterm_store(tmp_path / "store.db")
    set_column(path, table, column, value)
    with SessionStore.open(tmp_path / "sessions.db") as store:
        check_import(store, path, "oterm")


@pytest.mark.parametrize("odd", [[], {"a2": 1}], ids=["list", "object"])
def test_every_value_of_a_chatgpt_export_replaced_by_a_container(
    tmp_path: Path, chatgpt_seed: Any, odd: Any
) -> None:
    """Deterministic sweep of the case hypothesis once found (current_node a list made
    `current not in mapping` raise TypeError): every value, one at a time, made a list or an
    object — unhashable where an id is expected."""
    for number, at in enumerate(places(chatgpt_seed)[1:]):
        doc = mutate(json.loads(json.dumps(chatgpt_seed)), at, odd, False)
        folder = tmp_path / str(number)
        folder.mkdir()
        path = folder / "conversations.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        with SessionStore.open(folder / "sweep.db") as store:
            check_import(store, path, "chatgpt")
