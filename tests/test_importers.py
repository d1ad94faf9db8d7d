"""`termchat.store.importers`: other clients' history read faithfully into a real session database.

Each source's fixture is written by `importfixtures` in that project's own layout; the tests
check content, roles, order, reasoning, tool calls, models, times, titles, branches,
idempotency, the summary sentence and what a bad file or conversation gives.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import importfixtures as fx
import pytest

from termchat.errors import StoreError
from termchat.messages import ToolCall
from termchat.store import SessionStore
from termchat.store.importers import detect, import_history


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SessionStore]:
    with SessionStore.open(tmp_path / "sessions.db") as opened:
        yield opened


def shape(store: SessionStore, session_id: str) -> list[tuple[str, str, str]]:
    """(role, content, thinking) of the active history."""
    return [(m.role, m.content, m.thinking) for m in store.load_messages(session_id)]


# --- llm ---------------------------------------------------------------------------------


def test_llm_logs_db_is_mapped_faithfully(store: SessionStore, tmp_path: Path) -> None:
    path = fx.llm_logs(tmp_path / "logs.db")
    assert detect(path) == "llm"
    report = import_history(store, path, "llm")
    (new_id,) = report.session_ids
    session = store.get_session(new_id)
    assert session.title == "tell me about zebras"
    assert session.model == "qwen3" and session.system == "Be brief."
    assert shape(store, new_id) == [
        ("user", "tell me about zebras", ""),
        ("assistant", "Stripes.", "They asked about zebras."),
        ("user", "what time is it?", ""),
        ("assistant", "", ""),
        ("tool", "12:00", ""),
        ("assistant", "It is noon.", ""),
    ]
    messages = store.load_messages(new_id)
    assert messages[1].model == "qwen3:8b"  # the resolved model
    assert messages[1].stats is not None
    assert (messages[1].stats.prompt_eval_count, messages[1].stats.eval_count) == (12, 3)
    assert messages[1].stats.total_duration == 1_500_000_000
    assert messages[3].tool_calls == [ToolCall("clock", {"tz": "UTC"}, id="call_1")]
    assert (messages[4].tool_name, messages[4].tool_call_id) == ("clock", "call_1")
    rows = store.load_rows(new_id)
    assert rows[0].created_at == pytest.approx(1735787045.000001)  # 2025-01-02T03:04:05 UTC
    assert session.updated_at == pytest.approx(1735787101.0)


def test_llm_import_twice_adds_nothing_and_says_so(store: SessionStore, tmp_path: Path) -> None:
    path = fx.llm_logs(tmp_path / "logs.db")
    first = import_history(store, path, "llm")
    assert first.summary() == (
        "Imported 1 conversation (6 messages) from llm logs.db; skipped 1 empty, 1 unreadable"
    )
    assert "broken call" in first.unreadable[0] and "not JSON" in first.unreadable[0]
    second = import_history(store, path, "llm")
    assert second.session_ids == []
    assert second.summary() == (
        "Imported 0 conversations (0 messages) from llm logs.db; "
        "skipped 1 already imported, 1 empty, 1 unreadable"
    )
    assert len(store.list_sessions()) == 1


def test_deleting_an_imported_conversation_lets_it_come_back(
    store: SessionStore, tmp_path: Path
) -> None:
    path = fx.llm_logs(tmp_path / "logs.db")
    (new_id,) = import_history(store, path, "llm").session_ids
    store.delete_session(new_id)
    assert len(import_history(store, path, "llm").session_ids) == 1


def test_llm_source_file_is_not_written(store: SessionStore, tmp_path: Path) -> None:
    path = fx.llm_logs(tmp_path / "logs.db")
    before = path.read_bytes()
    import_history(store, path, "llm")
    assert path.read_bytes() == before
    assert not Path(f"{path}-wal").exists()


def test_llm_text_that_is_not_utf8_reads_with_replacement_characters(
    store: SessionStore, tmp_path: Path
) -> None:
    path = fx.llm_logs(tmp_path / "logs.db")
    conn = sqlite3.connect(path)
    conn.execute("UPDATE responses SET response = CAST(X'4f6bff21' AS TEXT) WHERE id = 'r1'")
    conn.commit()
    conn.close()
    (new_id,) = import_history(store, path, "llm").session_ids
    assert store.load_messages(new_id)[1].content == "Ok\ufffd!"


# --- oterm -------------------------------------------------------------------------------


def test_oterm_store_db_is_mapped_faithfully(store: SessionStore, tmp_path: Path) -> None:
    path = fx.oterm_store(tmp_path / "store.db")
    assert detect(path) == "oterm"
    report = import_history(store, path, "oterm")
    (new_id,) = report.session_ids
    session = store.get_session(new_id)
    assert (session.title, session.model, session.system) == ("Cats", "llama3.2", "You are a cat.")
    assert session.options == {"temperature": 0.5, "num_predict": 100}
    assert session.think is True
    assert shape(store, new_id) == [
        ("user", "hi", ""),
        ("assistant", "Meow.", "purr thoughts"),
        ("user", "look", ""),
    ]
    assert store.load_messages(new_id)[2].images == ["aGVsbG8="]
    assert report.unreadable == ["oterm chat “Robots”: message 1 has an unknown author 'robot'"]
    assert import_history(store, path, "oterm").already == 1


def test_oterm_older_layout_reads_with_missing_columns(store: SessionStore, tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        'CREATE TABLE chat ("id" INTEGER PRIMARY KEY, "name" TEXT, "model" TEXT NOT NULL, '
        '"system" TEXT, "format" TEXT, "parameters" TEXT DEFAULT "{}", '
        '"keep_alive" INTEGER DEFAULT 5, "tools" TEXT DEFAULT "[]");'
        'CREATE TABLE message ("id" INTEGER PRIMARY KEY, "chat_id" INTEGER NOT NULL, '
        '"author" TEXT NOT NULL, "text" TEXT NOT NULL);'
        "INSERT INTO chat (id, name, model) VALUES (7, 'Old', 'mistral');"
        "INSERT INTO message (chat_id, author, text) VALUES (7, 'me', 'q'), (7, 'ollama', 'a');"
    )
    conn.commit()
    conn.close()
    (new_id,) = import_history(store, path, "oterm").session_ids
    assert shape(store, new_id) == [("user", "q", ""), ("assistant", "a", "")]


# --- aichat ------------------------------------------------------------------------------


def test_aichat_session_yaml_is_mapped_faithfully(store: SessionStore, tmp_path: Path) -> None:
    path = fx.aichat_session(tmp_path / "weather.yaml")
    assert detect(path) == "aichat"
    (new_id,) = import_history(store, path, "aichat").session_ids
    session = store.get_session(new_id)
    assert (session.title, session.model, session.system) == (
        "weather",
        "qwen3:8b",
        "You are terse.",
    )
    assert session.options == {"temperature": 0.2}
    assert shape(store, new_id) == [
        ("user", "What's the weather in Paris?", ""),
        ("assistant", "", ""),
        ("tool", '{"temp": 18}', ""),
        ("assistant", "It is 18 °C.", "Check the tool output."),
        ("user", "And this picture?", ""),
        ("assistant", "A cat.", ""),
    ]
    messages = store.load_messages(new_id)
    assert messages[1].tool_calls == [ToolCall("get_weather", {"city": "Paris"}, id="call_9")]
    assert (messages[2].tool_name, messages[2].tool_call_id) == ("get_weather", "call_9")
    assert messages[4].images == ["aGVsbG8="]
    assert import_history(store, path, "aichat").already == 1


def test_aichat_folder_imports_every_session_and_reports_a_bad_one(
    store: SessionStore, tmp_path: Path
) -> None:
    folder = tmp_path / "sessions"
    (folder / "_").mkdir(parents=True)
    fx.aichat_session(folder / "weather.yaml")
    fx.aichat_session(folder / "_" / "20250101T120000-hello.yaml",
                      "model: openai:gpt-4o\nmessages:\n- role: user\n  content: hi\n")  # fmt: skip
    fx.aichat_session(folder / "bad.yaml", "model: x\nmessages:\n- role: wizard\n  content: 1\n")
    assert detect(folder) == "aichat"
    report = import_history(store, folder, "aichat")
    assert len(report.session_ids) == 2
    assert report.unreadable == ["bad.yaml: message 1 has no role aichat writes"]
    assert report.summary().startswith("Imported 2 conversations (7 messages) from aichat sessions")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("model: x\nmessages: &a [*a]\n", "aliases", id="alias"),
        pytest.param(
            "a: &a [1,1,1]\nb: &b [*a,*a,*a]\nmodel: m\nmessages: [*b]\n", "aliases", id="laughs"
        ),
        pytest.param("model: x\nmessages: [\n", "not valid YAML", id="broken"),
        pytest.param("model: x\nnotes: []\n", "no messages list", id="no-messages"),
    ],
)
def test_aichat_bad_yaml_is_refused_with_the_file_named(
    store: SessionStore, tmp_path: Path, text: str, reason: str
) -> None:
    path = fx.aichat_session(tmp_path / "s.yaml", text)
    with pytest.raises(StoreError, match=reason) as caught:
        import_history(store, path, "aichat")
    assert str(path) in str(caught.value)
    assert store.list_sessions() == []


# --- ChatGPT -----------------------------------------------------------------------------


def test_chatgpt_export_takes_the_current_path_and_keeps_the_branch(
    store: SessionStore, tmp_path: Path
) -> None:
    path = fx.chatgpt_export(tmp_path / "conversations.json")
    assert detect(path) == "chatgpt" and detect(tmp_path) == "chatgpt"
    report = import_history(store, path, "chatgpt")
    assert report.summary() == (
        "Imported 1 conversation (6 messages, 1 message in other branches) from ChatGPT "
        "export; skipped 1 unreadable"
    )
    assert "Broken" in report.unreadable[0] and "current_node" in report.unreadable[0]
    (new_id,) = report.session_ids
    session = store.get_session(new_id)
    assert (session.title, session.model) == ("Greetings and code", "o3")
    assert session.system == "I am a teacher.\n\nAnswer in English."
    assert shape(store, new_id) == [
        ("user", "Hello", ""),
        ("assistant", "Hello there!", ""),
        ("user", "[attachment: file-service://file-A1]\n\nWhat does print(2+2) show?", ""),
        ("assistant", "", "**Plan**\nRun it in python."),
        ("tool", "4", ""),
        ("assistant", "It prints 4.", ""),
    ]
    messages = store.load_messages(new_id)
    assert messages[3].tool_calls == [ToolCall("python", {"code": "print(2+2)"})]
    assert messages[4].tool_name == "python"
    assert (messages[1].model, messages[5].model) == ("gpt-4o", "o3")
    assert store.load_rows(new_id)[0].created_at == 1_700_000_001.0
    alternatives = store.alternatives(new_id, 1)
    assert [a.message.content for a in alternatives] == ["Hello there!", "Hi!"]
    other = next(a for a in alternatives if not a.active)
    store.activate(new_id, 1, other.gen)
    assert [m.content for m in store.load_messages(new_id)] == ["Hello", "Hi!"]
    assert import_history(store, path, "chatgpt").already == 1


# --- ollama ------------------------------------------------------------------------------


def test_ollama_saved_model_is_read_as_its_conversation(
    store: SessionStore, tmp_path: Path
) -> None:
    saved = [
        {"role": "user", "content": "ahoy"},
        {"role": "assistant", "content": "Arr!", "thinking": "be a pirate"},
    ]
    manifest = fx.ollama_saved(tmp_path, saved)
    assert detect(manifest) == "ollama"
    (new_id,) = import_history(store, manifest, "ollama").session_ids
    session = store.get_session(new_id)
    assert (session.title, session.model) == ("mychat:latest", "mychat:latest")
    assert session.system == "Talk like a pirate."
    assert session.options == {"temperature": 0.7, "stop": ["<|end|>"]}
    assert shape(store, new_id) == [("user", "ahoy", ""), ("assistant", "Arr!", "be a pirate")]
    assert import_history(store, manifest, "ollama").already == 1


def test_ollama_model_without_messages_is_said_to_be_no_conversation(
    store: SessionStore, tmp_path: Path
) -> None:
    manifest = fx.ollama_saved(tmp_path, None)
    with pytest.raises(StoreError, match=r"model hf\.co/someone/plain:latest, .* a model, not a"):
        import_history(store, manifest, "ollama")


def test_ollama_prompt_history_is_said_to_be_no_conversation(tmp_path: Path) -> None:
    history = tmp_path / ".ollama" / "history"
    history.parent.mkdir()
    history.write_text("hello\nwhat is 2+2\n", encoding="utf-8")
    with pytest.raises(StoreError, match=r"prompt history .* not a conversation"):
        detect(history)


def test_ollama_modelfile_messages_are_read(store: SessionStore, tmp_path: Path) -> None:
    path = tmp_path / "Modelfile"
    path.write_text(
        'FROM qwen3:8b\nSYSTEM """Be kind."""\nMESSAGE user Hi there\n'
        'MESSAGE assistant """Hello!\nHow can I help?"""\nMESSAGE user """\nBye\n"""\n',
        encoding="utf-8",
    )
    assert detect(path) == "ollama"
    (new_id,) = import_history(store, path, "ollama").session_ids
    assert store.get_session(new_id).model == "qwen3:8b"
    assert shape(store, new_id) == [
        ("user", "Hi there", ""),
        ("assistant", "Hello!\nHow can I help?", ""),
        ("user", "Bye", ""),
    ]
