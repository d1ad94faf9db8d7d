"""Tests for termchat.store: opening, failures, migrations, sessions, messages, history editing."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from termchat.errors import StoreError
from termchat.messages import Message, Role, Stats, ToolCall
from termchat.store import MARK_END, MARK_START, SessionStore, StoredMessage
from termchat.store.records import check_tree, default_title, fts_query
from termchat.store.schema import MIGRATIONS


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "home" / "nested" / "sessions.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[SessionStore]:
    with SessionStore.open(db_path) as opened:
        yield opened


def contents(store: SessionStore, session_id: str) -> list[str]:
    return [m.content for m in store.load_messages(session_id)]


def chat(store: SessionStore, session_id: str, *texts: str) -> list[int]:
    """Append alternating user/assistant messages."""
    roles: tuple[Role, Role] = ("user", "assistant")
    return [
        store.append_message(session_id, Message(roles[i % 2], text))
        for i, text in enumerate(texts)
    ]


# --- opening, files and failures ---------------------------------------------------------


def test_open_creates_parent_folders_and_schema(db_path: Path) -> None:
    with SessionStore.open(db_path) as store:
        assert store.path == db_path
    assert db_path.is_file()
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"], ids=["db", "wal", "shm"])
def test_open_files_are_private(store: SessionStore, suffix: str) -> None:
    store.create_session("m")  # a write, so the -wal file has content
    mode = os.stat(f"{store.path}{suffix}").st_mode & 0o777
    assert mode == 0o600


def test_open_tightens_existing_file_modes(db_path: Path) -> None:
    SessionStore.open(db_path).close()
    os.chmod(db_path, 0o644)
    with SessionStore.open(db_path):
        assert os.stat(db_path).st_mode & 0o777 == 0o600


def test_open_sets_pragmas(store: SessionStore) -> None:
    conn = store._conn  # white-box: the pragmas are per connection
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_close_then_use_raises_store_error(db_path: Path) -> None:
    store = SessionStore.open(db_path)
    store.close()
    with pytest.raises(StoreError, match=str(db_path.name)):
        store.list_sessions()


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(os.urandom(8192), id="random-bytes"),
        pytest.param(b"hello, I am a text file\n" * 300, id="text-file"),
        pytest.param(b"SQLite format 3\x00" + os.urandom(8192), id="sqlite-header-then-garbage"),
    ],
)
def test_open_corrupt_file_raises_store_error(db_path: Path, payload: bytes) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(payload)
    with pytest.raises(StoreError) as caught:
        SessionStore.open(db_path).list_sessions()
    message = str(caught.value)
    assert str(db_path) in message and "move it aside" in message
    assert "\n" not in message


def test_store_damaged_pages_raise_store_error(db_path: Path) -> None:
    with SessionStore.open(db_path) as store:
        sid = store.create_session("m").id
        chat(store, sid, *[f"message {i} " + "x" * 3000 for i in range(40)])
    data = bytearray(db_path.read_bytes())
    page = 4096
    data[page * 2 : page * 12] = os.urandom(page * 10)
    db_path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="move it aside"), SessionStore.open(db_path) as store:
        store.load_messages(sid)
        store.search("message")


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda p: p.mkdir(parents=True), id="path-is-a-folder"),
        pytest.param(
            lambda p: (p.parent.parent.mkdir(parents=True), p.parent.write_text("x")),
            id="parent-is-a-file",
        ),
    ],
)
def test_open_unusable_path_raises_store_error(db_path: Path, make: object) -> None:
    make(db_path)  # type: ignore[operator]
    with pytest.raises(StoreError, match=str(db_path.name) + "|" + db_path.parent.name):
        SessionStore.open(db_path)


@contextlib.contextmanager
def unprivileged() -> Iterator[None]:
    """Permission checks as an ordinary user: as root, drop the effective uid for a moment."""
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(65534)  # nobody
    try:
        yield
    finally:
        os.seteuid(0)


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder every user may enter (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="termchat-perm-"))
    path.chmod(0o777)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def test_open_unreadable_file_raises_store_error(shared_dir: Path) -> None:
    db_path = shared_dir / "sessions.db"
    with unprivileged():
        SessionStore.open(db_path).close()
        for suffix in ("-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        db_path.chmod(0)
        with pytest.raises(StoreError, match=str(db_path)):
            SessionStore.open(db_path)


def test_open_read_only_folder_raises_store_error(shared_dir: Path) -> None:
    folder = shared_dir / "ro"
    db_path = folder / "sessions.db"
    with unprivileged():
        folder.mkdir()
        folder.chmod(0o500)
        try:
            with pytest.raises(StoreError, match=str(db_path)):
                SessionStore.open(db_path)
        finally:
            folder.chmod(0o700)


def test_store_full_disk_raises_store_error_and_recovers(store: SessionStore) -> None:
    sid = store.create_session("m").id
    conn = store._conn  # a real SQLITE_FULL: cap the file at its current size
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StoreError, match="disk is full") as caught:
        store.append_message(sid, Message("user", "x" * 100_000))
    assert str(store.path) in str(caught.value)
    conn.execute("PRAGMA max_page_count = 1073741823")
    store.append_message(sid, Message("user", "fits now"))
    assert contents(store, sid) == ["fits now"]


def test_store_locked_by_another_writer_raises_store_error(store: SessionStore) -> None:
    sid = store.create_session("m").id
    store._conn.execute("PRAGMA busy_timeout = 50")  # keep the test fast
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError, match="busy"):
            store.append_message(sid, Message("user", "hi"))
    finally:
        other.execute("ROLLBACK")
        other.close()
    store.append_message(sid, Message("user", "hi"))
    assert contents(store, sid) == ["hi"]


def test_open_foreign_sqlite_database_raises_store_error(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE photos (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not termchat's"):
        SessionStore.open(db_path)


def test_open_newer_schema_raises_store_error(db_path: Path) -> None:
    SessionStore.open(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer termchat"):
        SessionStore.open(db_path)


def test_open_migrates_from_version_1(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path, isolation_level=None)
    for statement in MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO sessions (id, model, created_at, updated_at) "
        "VALUES ('abcdef012345', 'm', 1, 2)"
    )
    conn.execute(
        "INSERT INTO messages (session_id, seq, gen, active, role, content, thinking, "
        "interrupted, created_at) VALUES ('abcdef012345', 0, 0, 1, 'user', 'old zebra', '', 0, 1)"
    )
    conn.close()
    with SessionStore.open(db_path) as store:
        assert [hit.session_id for hit in store.search("zebra")] == ["abcdef012345"]
        assert contents(store, "abcdef") == ["old zebra"]
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    conn.close()


def test_open_empty_file_is_a_new_database(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.touch()
    with SessionStore.open(db_path) as store:
        assert store.list_sessions() == []


# --- sessions ----------------------------------------------------------------------------


def test_create_session_stores_settings(store: SessionStore) -> None:
    record = store.create_session(
        "qwen3", system="be brief", options={"temperature": 0.2, "stop": ["x"]}, think="high"
    )
    again = store.get_session(record.id)
    assert again == record
    assert (again.model, again.system, again.options, again.think) == (
        "qwen3",
        "be brief",
        {"temperature": 0.2, "stop": ["x"]},
        "high",
    )
    assert again.title == "" and again.created_at == again.updated_at


def test_create_session_ids_are_short_random_and_unique_in_four_characters(
    store: SessionStore,
) -> None:
    ids = [store.create_session("m").id for _ in range(300)]
    assert all(len(i) == 8 and set(i) <= set("0123456789abcdefghjkmnpqrstvwxyz") for i in ids)
    assert len({i[:4] for i in ids}) == 300
    for i in ids[:20]:
        assert store.get_session(i[:4]).id == i


def test_old_time_based_ids_keep_working(store: SessionStore, db_path: Path) -> None:
    old = "6754c0de1a2b"
    conn = sqlite3.connect(db_path)
    conn.execute(
        "INSERT INTO sessions (id, model, created_at, updated_at) VALUES (?, 'm', 1, 1)", (old,)
    )
    conn.commit()
    conn.close()
    assert store.get_session("6754c").id == old
    assert store.create_session("m").id[:4] != old[:4]


def test_get_session_resolves_prefixes(store: SessionStore, db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    for sid, model in (("abcd1234", "a"), ("abce5678", "b")):
        conn.execute(
            "INSERT INTO sessions (id, model, created_at, updated_at) VALUES (?, ?, 1, 1)",
            (sid, model),
        )
    conn.commit()
    conn.close()
    assert store.get_session("abcd1234").model == "a"
    assert store.get_session("abce").model == "b"
    assert store.get_session("ABCD").id == "abcd1234"
    with pytest.raises(StoreError, match="several conversations \\(abcd1234, abce5678\\)"):
        store.get_session("abc")


@pytest.mark.parametrize("key", ["zzz", "", "   ", "'; DROP TABLE sessions; --", "%", "_"])
def test_get_session_unknown_raises_store_error(store: SessionStore, key: str) -> None:
    store.create_session("m")
    with pytest.raises(StoreError):
        store.get_session(key)
    assert len(store.list_sessions()) == 1


def test_latest_session_is_most_recently_updated(store: SessionStore) -> None:
    assert store.latest_session() is None
    older = store.create_session("a").id
    store.create_session("b")
    store.append_message(older, Message("user", "bump"))
    latest = store.latest_session()
    assert latest is not None and latest.id == older


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"model": "llama3"}, id="model"),
        pytest.param({"system": "new system"}, id="system"),
        pytest.param({"system": None}, id="system-cleared"),
        pytest.param({"options": {"num_ctx": 8192}}, id="options"),
        pytest.param({"options": None}, id="options-cleared"),
        pytest.param({"think": False}, id="think-false"),
        pytest.param({"think": "low"}, id="think-level"),
        pytest.param({"title": "Named"}, id="title"),
        pytest.param({"model": "x", "think": True, "title": "Both"}, id="several"),
    ],
)
def test_update_session_changes_only_given_fields(
    db_path: Path, store: SessionStore, changes: dict[str, object]
) -> None:
    before = store.create_session("qwen3", system="sys", options={"seed": 1}, think=True)
    after = store.update_session(before.id, **changes)  # type: ignore[arg-type]
    expected = {**before.__dict__, **changes}
    expected["updated_at"] = after.updated_at
    assert after.__dict__ == expected
    assert after.updated_at >= before.updated_at
    store.close()
    with SessionStore.open(db_path) as reopened:  # committed at once
        assert reopened.get_session(before.id) == after


def test_default_title_comes_from_first_user_message(store: SessionStore) -> None:
    sid = store.create_session("m").id
    store.append_message(sid, Message("system", "You are helpful"))
    store.append_message(sid, Message("user", "\n  How do I sort a list in Python?\nThanks"))
    store.append_message(sid, Message("user", "second question"))
    assert store.get_session(sid).title == "How do I sort a list in Python?"


def test_rename_sets_and_restores_the_title(store: SessionStore) -> None:
    sid = store.create_session("m").id
    chat(store, sid, "first words", "reply")
    assert store.rename(sid[:6], "My chat").title == "My chat"
    assert store.list_sessions()[0].title == "My chat"
    assert store.rename(sid, None).title == "first words"
    assert store.rename(sid, "").title == "first words"


def test_create_session_explicit_title_wins(store: SessionStore) -> None:
    sid = store.create_session("m", title="Set").id
    chat(store, sid, "hello")
    assert store.get_session(sid).title == "Set"


@pytest.mark.parametrize(
    ("content", "title"),
    [
        pytest.param("short", "short", id="short"),
        pytest.param("\n\n  padded  \nsecond", "padded", id="first-non-blank-line"),
        pytest.param("", "", id="empty"),
        pytest.param("word " * 30, "word word word word word word word word word word…", id="cut"),
        pytest.param("x" * 80, "x" * 50 + "…", id="no-spaces"),
    ],
)
def test_default_title_cuts_first_line(content: str, title: str) -> None:
    assert default_title(content) == title


def test_delete_session_removes_messages_and_index(store: SessionStore) -> None:
    keep = store.create_session("m").id
    gone = store.create_session("m").id
    chat(store, keep, "kept walrus")
    chat(store, gone, "deleted walrus")
    store.delete_session(gone)
    assert [s.id for s in store.list_sessions()] == [keep]
    assert [hit.session_id for hit in store.search("walrus")] == [keep]
    with pytest.raises(StoreError):
        store.get_session(gone)
    with pytest.raises(StoreError):
        store.delete_session(gone)


def test_list_sessions_newest_first_with_counts(store: SessionStore) -> None:
    a = store.create_session("a").id
    b = store.create_session("b").id
    c = store.create_session("c").id
    chat(store, a, "1", "2", "3")
    chat(store, c, "only")
    store.truncate(a, 2)
    listed = store.list_sessions()
    assert [(s.id, s.messages) for s in listed] == [(a, 2), (c, 1), (b, 0)]
    assert listed[0].to_dict().keys() >= {"id", "title", "model", "created_at", "updated_at"}
    assert [s.id for s in store.list_sessions(limit=2)] == [a, c]
    assert len(store.list_sessions(limit=None)) == 3


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("python", ["py"], id="title"),
        pytest.param("PYTH", ["py"], id="title-case-insensitive"),
        pytest.param("kangaroo", ["zoo"], id="content"),
        pytest.param("kang", ["zoo"], id="content-prefix-as-you-type"),
        pytest.param("marsupial", ["zoo"], id="reasoning"),
        pytest.param("red kang", ["zoo"], id="all-words"),
        pytest.param("nothing-like-this", [], id="no-match"),
        pytest.param('"(*', [], id="punctuation"),
        pytest.param("100%", ["pct"], id="percent-literal"),
        pytest.param("_", [], id="underscore-literal"),
        pytest.param("  ", ["pct", "zoo", "py"], id="blank-lists-all"),
    ],
)
def test_list_sessions_query_filters(store: SessionStore, query: str, expected: list[str]) -> None:
    names = {}
    for name, first, reply, thinking in [
        ("py", "Python sorting help", "use sorted()", ""),
        ("zoo", "a red kangaroo?", "yes", "marsupial facts"),
        ("pct", "100% sure", "ok", ""),
    ]:
        sid = store.create_session("m").id
        store.append_message(sid, Message("user", first))
        store.append_message(sid, Message("assistant", reply, thinking=thinking))
        names[sid] = name
    assert [names[s.id] for s in store.list_sessions(query=query)] == expected


def test_list_sessions_query_matches_id_prefix(store: SessionStore) -> None:
    sid = store.create_session("m").id
    assert [s.id for s in store.list_sessions(query=sid[:9])] == [sid]


# --- search ------------------------------------------------------------------------------


def test_search_finds_content_and_reasoning_with_marks(store: SessionStore) -> None:
    asked = store.create_session("m").id
    store.append_message(asked, Message("user", "tell me about the aardvark please"))
    store.append_message(asked, Message("assistant", "Sure."))
    thought = store.create_session("m").id
    store.append_message(thought, Message("user", "an animal?"))
    store.append_message(thought, Message("assistant", "Sure.", thinking="the aardvark digs"))
    hits = {h.session_id: h for h in store.search("aardvark")}
    assert (hits[asked].seq, hits[asked].field, hits[asked].role) == (0, "content", "user")
    assert f"{MARK_START}aardvark{MARK_END}" in hits[asked].snippet
    assert hits[asked].session_title == "tell me about the aardvark please"
    assert (hits[thought].seq, hits[thought].field) == (1, "thinking")
    assert hits[thought].snippet == f"the {MARK_START}aardvark{MARK_END} digs"


def test_search_gives_each_conversation_once_with_its_best_message(store: SessionStore) -> None:
    sid = store.create_session("m").id
    chat(store, sid, "zebra", "zebra zebra zebra stripes", "zebra")
    (hit,) = store.search("zebra")
    assert hit.session_id == sid and hit.seq == 1


@pytest.mark.parametrize(
    "text",
    [
        'say "hello',
        "c++",
        "AND OR NOT",
        "foo*",
        "(x",
        "a:b",
        "-x",
        "NEAR(a b)",
        "^start",
        "{col}",
        "'; DROP TABLE messages; --",
        "!!!",
    ],
)
def test_search_quotes_user_input(store: SessionStore, text: str) -> None:
    sid = store.create_session("m").id
    store.append_message(sid, Message("user", f"literally {text} here"))
    hits = store.search(text)
    assert all(h.session_id == sid for h in hits)
    assert store.search("literally")  # the table survived


def test_search_blank_returns_nothing(store: SessionStore) -> None:
    assert store.search("   ") == []


def test_search_leaves_out_undone_rows_and_limits_conversations(store: SessionStore) -> None:
    undone = store.create_session("m").id
    chat(store, undone, "kept words", "giraffe here")
    store.truncate(undone, 1, undo=True)
    assert store.search("giraffe") == []
    for _ in range(4):
        chat(store, store.create_session("m").id, "giraffe", "giraffe")
    assert len(store.search("giraffe", limit=100)) == 4
    assert len(store.search("giraffe", limit=3)) == 3


@pytest.mark.parametrize(
    ("text", "prefix", "query"),
    [
        pytest.param("hello world", False, '"hello" "world"', id="words"),
        pytest.param("kang", True, '"kang"*', id="prefix"),
        pytest.param('say "hi"', False, '"say" """hi"""', id="quotes-doubled"),
        pytest.param(" \t", False, None, id="blank"),
    ],
)
def test_fts_query_quotes_words(text: str, prefix: bool, query: str | None) -> None:
    assert fts_query(text, prefix=prefix) == query


# --- messages ----------------------------------------------------------------------------

FULL_MESSAGES = [
    pytest.param(Message("user", "plain"), id="user"),
    pytest.param(Message("user", "look", images=["aGVsbG8=", "d29ybGQ="]), id="images"),
    pytest.param(Message("system", "be terse"), id="system"),
    pytest.param(
        Message(
            "assistant",
            "answer",
            thinking="reasoning ✓",
            tool_calls=[
                ToolCall("get_weather", {"city": "Paris", "days": [1, 2]}, id="call_1", index=0),
                ToolCall("clock", {}),
            ],
            model="qwen3:8b",
            stats=Stats(done_reason="stop", eval_count=12, eval_duration=3_000_000),
        ),
        id="assistant-everything",
    ),
    pytest.param(Message("assistant", "", stats=Stats()), id="empty-stats"),
    pytest.param(
        Message("assistant", "partial", interrupted=True, error="connection reset"),
        id="interrupted-with-error",
    ),
    pytest.param(
        Message("tool", '{"temp": 21}', tool_name="get_weather", tool_call_id="call_1"),
        id="tool-result",
    ),
]


@pytest.mark.parametrize("message", FULL_MESSAGES)
def test_append_message_round_trips_every_field(
    db_path: Path, store: SessionStore, message: Message
) -> None:
    sid = store.create_session("m").id
    row_id = store.append_message(sid, message)
    assert row_id > 0
    store.close()
    with SessionStore.open(db_path) as reopened:
        assert reopened.load_messages(sid) == [message]
        (row,) = reopened.load_rows(sid)
        assert (row.row_id, row.seq, row.gen, row.parent_gen, row.active) == (
            row_id,
            0,
            0,
            None,
            True,
        )
        assert row.created_at > 0


def test_append_message_keeps_order_and_bumps_updated_at(store: SessionStore) -> None:
    record = store.create_session("m")
    chat(store, record.id, *[str(i) for i in range(20)])
    assert contents(store, record.id) == [str(i) for i in range(20)]
    assert [r.seq for r in store.load_rows(record.id)] == list(range(20))
    assert store.get_session(record.id).updated_at >= record.updated_at


def test_append_message_unknown_session_raises_store_error(store: SessionStore) -> None:
    with pytest.raises(StoreError, match="No saved conversation"):
        store.append_message("0123456789ab", Message("user", "hi"))


def test_update_message_replaces_fields_in_place(store: SessionStore) -> None:
    sid = store.create_session("m").id
    store.append_message(sid, Message("user", "q"))
    row_id = store.append_message(sid, Message("assistant", "half an ans", interrupted=True))
    final = Message("assistant", "a whole answer", thinking="done thinking", model="m")
    store.update_message(row_id, final)
    assert store.load_messages(sid)[1] == final
    assert [r.row_id for r in store.load_rows(sid)][1] == row_id
    assert store.search("half") == []
    assert [h.row_id for h in store.search("whole")] == [row_id]


def test_update_message_unknown_row_raises_store_error(store: SessionStore) -> None:
    with pytest.raises(StoreError, match="No stored message"):
        store.update_message(999, Message("user", "x"))


def test_store_is_usable_from_several_threads(store: SessionStore) -> None:
    sid = store.create_session("m").id
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(25):
                store.append_message(sid, Message("user", f"{n}-{i}"))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(store.load_messages(sid)) == 100


# --- history editing ---------------------------------------------------------------------


def test_truncate_deactivates_but_keeps_rows(store: SessionStore) -> None:
    sid = store.create_session("m").id
    chat(store, sid, "q1", "a1", "q2", "a2")
    assert store.truncate(sid, 2) == 2
    assert contents(store, sid) == ["q1", "a1"]
    everything = store.load_rows(sid, include_inactive=True)
    assert [(r.message.content, r.active) for r in everything] == [
        ("q1", True),
        ("a1", True),
        ("q2", False),
        ("a2", False),
    ]
    assert store.list_sessions()[0].messages == 2
    assert store.truncate(sid, 5) == 0
    with pytest.raises(ValueError):
        store.truncate(sid, -1)


def test_retry_keeps_the_old_reply_as_an_alternative(store: SessionStore) -> None:
    sid = store.create_session("m").id
    chat(store, sid, "q1", "a1", "q2", "first reply")
    store.truncate(sid, 3)  # /retry
    store.append_message(sid, Message("assistant", "second reply"))
    store.truncate(sid, 3)  # /retry again
    store.append_message(sid, Message("assistant", "third reply"))
    assert contents(store, sid) == ["q1", "a1", "q2", "third reply"]
    alts = store.alternatives(sid, 3)
    assert [(a.gen, a.message.content, a.active, a.length) for a in alts] == [
        (0, "first reply", False, 1),
        (1, "second reply", False, 1),
        (2, "third reply", True, 1),
    ]
    assert [a.created_at for a in alts] == sorted(a.created_at for a in alts)
    store.activate(sid, 3, 1)  # /alt
    assert contents(store, sid) == ["q1", "a1", "q2", "second reply"]
    assert [a.active for a in store.alternatives(sid, 3)] == [False, True, False]


def test_edit_branches_and_switching_restores_whole_branches(store: SessionStore) -> None:
    sid = store.create_session("m").id
    chat(store, sid, "q1", "a1", "q2", "a2", "q3", "a3")
    store.truncate(sid, 2)  # /edit q2
    chat(store, sid, "q2 edited", "a2 for edit")
    assert contents(store, sid) == ["q1", "a1", "q2 edited", "a2 for edit"]
    assert [(a.message.content, a.length) for a in store.alternatives(sid, 2)] == [
        ("q2", 4),
        ("q2 edited", 2),
    ]
    # Only replies to the active q2 are alternatives at position 3.
    assert [a.message.content for a in store.alternatives(sid, 3)] == ["a2 for edit"]
    store.activate(sid, 2, 0)
    assert contents(store, sid) == ["q1", "a1", "q2", "a2", "q3", "a3"]
    assert [a.message.content for a in store.alternatives(sid, 3)] == ["a2"]


def test_append_after_activate_continues_that_branch(store: SessionStore) -> None:
    sid = store.create_session("m").id
    chat(store, sid, "q", "old")
    store.truncate(sid, 1)
    store.append_message(sid, Message("assistant", "new"))
    store.activate(sid, 1, 0)
    store.append_message(sid, Message("user", "follow-up"))
    rows = store.load_rows(sid)
    assert [(r.message.content, r.gen) for r in rows] == [("q", 0), ("old", 0), ("follow-up", 0)]
    assert [a.gen for a in store.alternatives(sid, 1)] == [0, 1]


def test_undo_then_new_message_forks_and_can_be_undone(store: SessionStore) -> None:
    sid = store.create_session("m").id
    chat(store, sid, "q1", "a1", "q2", "a2")
    store.truncate(sid, 2)  # /undo
    chat(store, sid, "other q2")
    assert [a.message.content for a in store.alternatives(sid, 2)] == ["q2", "other q2"]
    store.truncate(sid, 2)
    assert [a.active for a in store.alternatives(sid, 2)] == [False, False]
    store.activate(sid, 2, 0)  # redo
    assert contents(store, sid) == ["q1", "a1", "q2", "a2"]


def test_undo_then_retry_then_alt_back_keeps_the_undone_exchange_out(
    store: SessionStore,
) -> None:
    sid = store.create_session("m").id
    chat(store, sid, "q1", "a1", "q2", "a2")
    store.truncate(sid, 2, undo=True)  # /undo drops q2 + a2
    store.truncate(sid, 1)  # /retry a1
    chat(store, sid, "a1 again")
    assert [(a.message.content, a.length) for a in store.alternatives(sid, 1)] == [
        ("a1", 1),
        ("a1 again", 1),
    ]
    store.activate(sid, 1, 0)  # /alt back to the first reply
    assert contents(store, sid) == ["q1", "a1"]
    store.activate(sid, 2, 0)  # brought back by name (a redo), it comes back whole
    assert contents(store, sid) == ["q1", "a1", "q2", "a2"]


def test_append_after_the_tip_continues_the_branch(store: SessionStore) -> None:
    sid = store.create_session("m").id
    first, _ = store.append_after(sid, None, Message("user", "q"))
    second, branched = store.append_after(sid, first, Message("assistant", "a"))
    assert not branched
    assert [(r.row_id, r.gen) for r in store.load_rows(sid)] == [(first, 0), (second, 0)]


def test_append_after_a_stale_parent_branches_instead_of_interleaving(
    store: SessionStore,
) -> None:
    sid = store.create_session("m").id
    question, _ = store.append_after(sid, None, Message("user", "q"))
    # Two writers answered the same question: the second branches.
    store.append_after(sid, question, Message("assistant", "from writer 1"))
    _, branched = store.append_after(sid, question, Message("assistant", "from writer 2"))
    assert branched
    assert contents(store, sid) == ["q", "from writer 2"]
    assert [a.message.content for a in store.alternatives(sid, 1)] == [
        "from writer 1",
        "from writer 2",
    ]


def test_append_after_a_row_of_another_session_is_refused(store: SessionStore) -> None:
    one = store.create_session("m").id
    other = store.create_session("m").id
    row, _ = store.append_after(one, None, Message("user", "q"))
    with pytest.raises(StoreError, match="has no message"):
        store.append_after(other, row, Message("assistant", "a"))


def test_retry_first_message_forks_at_position_zero(store: SessionStore) -> None:
    sid = store.create_session("m").id
    chat(store, sid, "hello", "hi")
    store.truncate(sid, 0)
    chat(store, sid, "hey")
    assert [a.message.content for a in store.alternatives(sid, 0)] == ["hello", "hey"]
    assert [r.parent_gen for r in store.load_rows(sid)] == [None]


@pytest.mark.parametrize(
    ("seq", "gen"),
    [
        pytest.param(1, 7, id="unknown-gen"),
        pytest.param(9, 0, id="beyond-history"),
        pytest.param(3, 0, id="not-a-continuation"),
    ],
)
def test_activate_invalid_raises_store_error(store: SessionStore, seq: int, gen: int) -> None:
    sid = store.create_session("m").id
    chat(store, sid, "q1", "a1", "q2", "a2")
    store.truncate(sid, 2)
    chat(store, sid, "q2b", "a2b")
    with pytest.raises(StoreError, match="no alternative"):
        store.activate(sid, seq, gen)
    assert contents(store, sid) == ["q1", "a1", "q2b", "a2b"]


def test_alternatives_beyond_history_is_empty(store: SessionStore) -> None:
    sid = store.create_session("m").id
    chat(store, sid, "q")
    assert store.alternatives(sid, 5) == []
    assert [a.message.content for a in store.alternatives(sid, 0)] == ["q"]


def _row(seq: int, gen: int, parent_gen: int | None, active: bool = True) -> StoredMessage:
    return StoredMessage(0, seq, gen, parent_gen, active, 0.0, Message("user", f"{seq}/{gen}"))


@pytest.mark.parametrize(
    ("rows", "error"),
    [
        pytest.param([_row(0, 0, None), _row(1, 0, 0)], None, id="chain"),
        pytest.param(
            [_row(0, 0, None), _row(1, 0, 0, False), _row(1, 1, 0)], None, id="with-alternative"
        ),
        pytest.param([], None, id="empty"),
        pytest.param([_row(0, 0, None), _row(0, 0, None)], "two rows", id="duplicate"),
        pytest.param([_row(0, 0, 3)], "parent_gen", id="root-with-parent"),
        pytest.param([_row(0, 0, None), _row(1, 0, 5)], "no parent", id="missing-parent"),
        pytest.param([_row(1, 0, None)], "no parent", id="orphan"),
        pytest.param([_row(0, 0, None), _row(2, 0, 0)], "no parent", id="gap"),
        pytest.param(
            [_row(0, 0, None), _row(1, 0, 0, False), _row(1, 1, 0, False), _row(2, 0, 1)],
            "run of positions",
            id="generation-jumps-branch",
        ),
        pytest.param(
            [_row(0, 0, None, False), _row(0, 1, None), _row(1, 0, 1)],
            "run of positions|starts twice",
            id="generation-starts-twice",
        ),
        pytest.param(
            [_row(0, 0, None, False), _row(1, 0, 0)], "parent is not", id="active-under-inactive"
        ),
        pytest.param([_row(0, 0, None), _row(0, 1, None)], "positions 0", id="two-active-roots"),
        pytest.param([_row(0, 0, None, False)], None, id="all-undone"),
    ],
)
def test_check_tree_validates_history_shape(rows: list[StoredMessage], error: str | None) -> None:
    if error is None:
        check_tree(rows)
    else:
        with pytest.raises(StoreError, match=error):
            check_tree(rows)
