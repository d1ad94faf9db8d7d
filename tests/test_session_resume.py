"""Resuming a long conversation reads its last messages; the rest is counted, and read when the
history is sent (or anything else needs an earlier message)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from fakeserver import FakeServer
from test_session import Harness, run_chat

from termchat.commands import run_command
from termchat.messages import Message
from termchat.session import RESUME_TAIL
from termchat.store import SessionStore
from termchat.store.history import MessageHistory
from termchat.store.tail import Tail

EXCHANGES = 150  # 300 messages: five times what resume reads at once


def loader(items: list[int], calls: list[int]) -> Tail[int]:
    head, tail = items[:-3], items[-3:]

    def load() -> list[int]:
        calls.append(1)
        return list(head)

    return Tail(tail, len(head), load)


def test_tail_answers_from_its_last_items_without_loading() -> None:
    calls: list[int] = []
    items = loader(list(range(10)), calls)
    assert len(items) == 10 and bool(items)
    assert (items[-1], items[7], items[-3]) == (9, 7, 7)
    assert items[8:] == [8, 9] and items[-2:] == [8, 9] and items[7:9] == [7, 8]
    items.append(10)
    del items[9:]
    assert len(items) == 9 and items.pop() == 8
    assert calls == []
    assert repr(items) == "Tail([7], before=7)"


@pytest.mark.parametrize(
    "use",
    [
        pytest.param(lambda items: list(items), id="iterate"),
        pytest.param(lambda items: items[2], id="earlier-index"),
        pytest.param(lambda items: items[:4], id="earlier-slice"),
        pytest.param(lambda items: items[::-1], id="stepped-slice"),
        pytest.param(lambda items: 3 in items, id="contains"),
        pytest.param(lambda items: items == list(range(10)), id="equal"),
        pytest.param(lambda items: items.insert(0, -1), id="insert"),
        pytest.param(lambda items: items.__delitem__(slice(2, None)), id="delete-earlier"),
        pytest.param(lambda items: list(reversed(items)), id="reversed"),
    ],
)
def test_tail_loads_the_rest_once_when_an_earlier_item_is_needed(use: object) -> None:
    calls: list[int] = []
    items = loader(list(range(10)), calls)
    use(items)  # type: ignore[operator]
    assert calls == [1] and items.before == 0
    assert list(items)[:2] in ([0, 1], [-1, 0]) and calls == [1]


def test_tail_clear_forgets_the_rest_unread() -> None:
    calls: list[int] = []
    items = loader(list(range(10)), calls)
    items.clear()
    assert len(items) == 0 and list(items) == [] and calls == []


def long_conversation(home: Path, exchanges: int = EXCHANGES) -> str:
    with SessionStore.open(home / "sessions.db") as store:
        sid = store.create_session("qwen3").id
        for n in range(exchanges):
            store.append_message(sid, Message(role="user", content=f"Q{n}"))
            store.append_message(sid, Message(role="assistant", content=f"A{n}"))
        return sid


def test_store_reads_the_tail_the_rest_and_counts_replies(tmp_path: Path) -> None:
    sid = long_conversation(tmp_path, 10)
    with SessionStore.open(tmp_path / "sessions.db") as store:
        rows, before = store.load_tail(sid, 5)
        assert before == 15 and [r.message.content for r in rows] == ["A7", "Q8", "A8", "Q9", "A9"]
        earlier = store.load_before(sid, rows[0].row_id)
        assert [r.message.content for r in earlier] == [f"{k}{n}" for n in range(8) for k in "QA"][
            :15
        ]
        assert store.count_replies(sid, rows[0].row_id) == 7
        assert store.load_tail(sid, 50)[1] == 0


def test_replies_are_counted_from_an_index_not_row_by_row(tmp_path: Path) -> None:
    """Numbering a resumed conversation's replies counts every reply before the shown tail:
    read from the table, 100,000 messages took 30-40 ms of the time to the prompt."""
    sid = long_conversation(tmp_path, 10)
    with SessionStore.open(tmp_path / "sessions.db") as store:
        rows, _ = store.load_tail(sid, 5)
    conn = sqlite3.connect(tmp_path / "sessions.db")
    try:
        query, params = MessageHistory.replies_query(conn, sid, rows[0].row_id)
        plan = " ".join(
            str(step[3]) for step in conn.execute(f"EXPLAIN QUERY PLAN {query}", params)
        )
    finally:
        conn.close()
    assert "COVERING INDEX messages_replies" in plan, plan


def test_resume_reads_the_last_messages_and_numbers_replies_from_the_start(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    sid = long_conversation(tmp_path)
    total = 2 * EXCHANGES

    async def script(h: Harness) -> None:
        await run_command(h.app, f"/resume {sid}")
        messages = h.app.conversation.messages
        assert isinstance(messages, Tail) and messages.before == total - RESUME_TAIL
        said = h.printed()
        assert f"{total} messages" in said and f"{total - 20} earlier messages not shown" in said
        assert f"#{EXCHANGES - 9}" in said and f"#{EXCHANGES}" in said  # the last ten replies
        assert f"#{EXCHANGES - 10} " not in said
        assert messages.before == total - RESUME_TAIL  # drawing it read nothing more
        fake_server.queue_reply(content="fresh")
        await h.app.send("next")
        sent = [m["content"] for m in fake_server.last_chat()["messages"]]
        assert sent == [f"{k}{n}" for n in range(EXCHANGES) for k in "QA"] + ["next"]
        assert f"#{EXCHANGES + 1}" in h.printed()

    run_chat(fake_server, tmp_path, script)
    with SessionStore.open(tmp_path / "sessions.db") as store:
        contents = [m.content for m in store.load_messages(sid)]
    assert contents[-3:] == ["A149", "next", "fresh"] and len(contents) == total + 2


def test_resume_then_undo_and_edit_deep_in_the_history(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    sid = long_conversation(tmp_path)

    async def script(h: Harness) -> None:
        await run_command(h.app, f"/resume {sid}")
        for _ in range(RESUME_TAIL // 2 + 3):  # past what was read at once
            await run_command(h.app, "/undo")
        left = 2 * EXCHANGES - 2 * (RESUME_TAIL // 2 + 3)
        assert [m.content for m in h.app.conversation.messages][-2:] == [
            f"Q{left // 2 - 1}",
            f"A{left // 2 - 1}",
        ]
        fake_server.queue_reply(content="after undo")
        await h.app.send("again")
        assert len(fake_server.last_chat()["messages"]) == left + 1

    run_chat(fake_server, tmp_path, script)
    with SessionStore.open(tmp_path / "sessions.db") as store:
        assert [m.content for m in store.load_messages(sid)][-2:] == ["again", "after undo"]


def test_earlier_messages_changed_by_another_termchat_are_still_this_conversations(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    """Another termchat undid almost everything and wrote a history as long: the messages read
    later are still the ones before what was shown, and what is said next is a branch."""
    sid = long_conversation(tmp_path)

    async def script(h: Harness) -> None:
        await run_command(h.app, f"/resume {sid}")
        with SessionStore.open(tmp_path / "sessions.db") as other:
            other.truncate(sid, 10)
            for n in range(2 * EXCHANGES - 10):
                other.append_message(sid, Message(role="user", content=f"other {n}"))
        h.printed()
        fake_server.queue_reply(content="mine")
        await h.app.send("still mine")
        sent = [m["content"] for m in fake_server.last_chat()["messages"]]
        assert sent == [f"{k}{n}" for n in range(EXCHANGES) for k in "QA"] + ["still mine"]
        assert "continues on a branch" in h.printed()

    run_chat(fake_server, tmp_path, script)


def test_earlier_messages_deleted_meanwhile_are_one_clear_error(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    sid = long_conversation(tmp_path)

    async def script(h: Harness) -> None:
        await run_command(h.app, f"/resume {sid}")
        with SessionStore.open(tmp_path / "sessions.db") as other:
            other.delete_session(sid)
        fake_server.queue_reply(content="still here")
        await h.app.send("hello?")
        said = h.printed()
        assert f"goes on\nfrom its last {RESUME_TAIL} messages" in said and "Traceback" not in said
        sent = [m["content"] for m in fake_server.last_chat()["messages"]]
        assert len(sent) == RESUME_TAIL + 1 and sent[-1] == "hello?"

    run_chat(fake_server, tmp_path, script)
