"""/continue and /compare typed at the real REPL in-process (pipe input, the loopback fake server,
a real SQLite file): Ctrl-C during a reply, then /continue; a digit answers /compare's question."""

from __future__ import annotations

from fakeserver import FakeServer
from prompt_toolkit.application.current import get_app_or_none
from test_repl import Running, run_repl, until

from termchat.store import SessionStore


def dialog_up(r: Running) -> bool:
    """True while a dialog (not the chat's prompt) reads the keys."""
    app = get_app_or_none()
    return app is not None and app is not r.repl.session.app and app.is_running


def saved_reply(r: Running) -> str:
    """The text of the reply saved so far (its checkpoint row), or "" before it has one."""
    path = r.app.config.database
    session_id = r.app.conversation.session_id
    if session_id is None or not path.exists():
        return ""
    with SessionStore.open(path) as store:
        rows = store.load_rows(session_id, include_inactive=True)
    replies = [row.message.content for row in rows if row.message.role == "assistant"]
    return replies[-1] if replies else ""


def test_repl_continue_after_ctrl_c_joins_the_reply(fake_server: FakeServer) -> None:
    fake_server.queue_reply(content="Short waves scatter", hold_after=3)
    fake_server.queue_reply(content=" more than long ones.")

    async def scenario(r: Running) -> None:
        r.type("why blue?\r")
        await until(lambda: saved_reply(r) != "")  # the first words arrived (and were saved)
        r.type("\x03")  # Ctrl-C, read by the streaming key reader
        await until(lambda: "[interrupted]" in r.printed())
        await r.prompt()
        partial = r.app.conversation.messages[-1]
        assert partial.interrupted and partial.content
        r.type("/continue\r")
        await r.requests(2)
        body = fake_server.last_chat()
        assert body["messages"][-1] == {"role": "assistant", "content": partial.content}
        last = r.app.conversation.messages[-1]
        assert last.content == partial.content + " more than long ones."
        assert not last.interrupted
        assert [m.role for m in r.app.conversation.messages] == ["user", "assistant"]
        assert saved_reply(r) == last.content
        assert "Continuing reply 1" in r.printed()

    run_repl(fake_server, scenario)


def test_repl_compare_asks_with_one_key(fake_server: FakeServer) -> None:
    fake_server.queue_reply(content="First answer.")
    fake_server.queue_reply(content="Second answer.")

    async def scenario(r: Running) -> None:
        r.type("question\r")
        await r.requests(1)
        r.type("/compare llama3.2\r")
        await until(lambda: dialog_up(r))
        assert r.app.conversation.messages[-1].content == "Second answer."
        r.type("1")  # the dialog's key: keep the first model's reply
        await until(lambda: "Kept the reply of qwen3" in r.printed())
        await r.prompt()
        assert r.app.conversation.messages[-1].content == "First answer."
        r.type("/alt\r")
        await until(lambda: r.app.conversation.messages[-1].content == "Second answer.")

    run_repl(fake_server, scenario)
