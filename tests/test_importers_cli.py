"""`termchat sessions import` with other clients' files, as a user runs it: through pipes (ids on
stdout, the summary on stderr), in a terminal (the summary), with bad files (one clear line, no
traceback) and an imported conversation going on against the fake server."""

from __future__ import annotations

import json
from pathlib import Path

import importfixtures as fx
from fakeserver import FakeServer
from terminal import Terminal, termchat


def test_cli_import_llm_twice_prints_ids_then_nothing(tmp_path: Path) -> None:
    path = fx.llm_logs(tmp_path / "logs.db")
    first = termchat("sessions", "import", str(path), home=tmp_path)
    assert first.returncode == 0, first.stderr
    (new_id,) = first.stdout.split()
    assert first.stderr.startswith(
        "Imported 1 conversation (6 messages) from llm logs.db; skipped 1 empty, 1 unreadable\n"
    )
    assert "skipped llm conversation “broken call”" in first.stderr
    second = termchat("sessions", "import", str(path), home=tmp_path)
    assert second.returncode == 0 and second.stdout == ""
    assert "skipped 1 already imported, 1 empty, 1 unreadable" in second.stderr
    rows = json.loads(termchat("sessions", "list", "--json", home=tmp_path).stdout)
    assert [row["id"] for row in rows] == [new_id]


def test_cli_import_from_forces_the_format_and_says_what_is_wrong(tmp_path: Path) -> None:
    path = fx.llm_logs(tmp_path / "logs.db")
    forced = termchat("sessions", "import", "--from", "chatgpt", str(path), home=tmp_path)
    assert forced.returncode == 1
    assert forced.stderr == (
        f"termchat: error: Cannot import {path}: "
        "it is an SQLite database, not a ChatGPT export file\n"
    )
    wrong = termchat("sessions", "import", "--from", "word", str(path), home=tmp_path)
    assert wrong.returncode == 2 and "--from must be one of termchat, llm" in wrong.stderr


def test_cli_import_bad_files_give_one_line_and_no_traceback(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"\x00\xff\xfe binary \x1b[31m")
    text = tmp_path / "notes.txt"
    text.write_text("just some notes\n", encoding="utf-8")
    fake_db = tmp_path / "fake.db"
    fake_db.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    for path, reason in [
        (garbage, "not UTF-8 text, nor an SQLite database"),
        (text, "not a format termchat reads"),
        (fake_db, "SQLite database"),
        (tmp_path / "missing.json", "No such file"),
    ]:
        result = termchat("sessions", "import", str(path), home=tmp_path)
        assert result.returncode == 1, (path, result.stderr)
        assert "Traceback" not in result.stderr
        assert result.stderr.startswith(f"termchat: error: Cannot import {path}: ")
        assert reason in result.stderr and result.stderr.count("\n") == 1


def test_cli_import_never_prints_control_sequences_from_the_file(tmp_path: Path) -> None:
    path = fx.chatgpt_export(tmp_path / "conversations.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    data[1]["title"] = "Evil \x1b]52;c;cGF3bmVk\x07\x1b[2J title"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = termchat("sessions", "import", str(path), home=tmp_path)
    assert result.returncode == 0
    assert "skipped ChatGPT conversation “Evil" in result.stderr
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr


def test_cli_import_in_a_terminal_shows_the_summary(tmp_path: Path) -> None:
    path = fx.aichat_session(tmp_path / "weather.yaml")
    term = Terminal(["sessions", "import", str(path)], home=tmp_path)
    try:
        term.wait_for("Imported 1 conversation (6 messages) from aichat session weather.yaml")
        term.wait_for("termchat sessions list")
        assert term.wait_exit() == 0
    finally:
        term.close()


def test_imported_conversation_goes_on_with_its_history(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    path = fx.aichat_session(tmp_path / "weather.yaml")
    (new_id,) = termchat("sessions", "import", str(path), home=tmp_path).stdout.split()
    fake_server.add_model("qwen3:8b", ["completion", "tools", "thinking"], 40960, "qwen3", "8.2B")
    fake_server.queue_reply(content="Still 18 °C.")
    result = termchat("--host", fake_server.url, "-r", new_id, "-p", "And tomorrow?", home=tmp_path)
    assert result.returncode == 0, result.stderr
    sent = fake_server.last_chat()
    assert sent["model"] == "qwen3:8b"
    roles = [m["role"] for m in sent["messages"]]
    assert roles == [
        "system",
        "user",
        "assistant",
        "tool",
        "assistant",
        "user",
        "assistant",
        "user",
    ]
    call = sent["messages"][2]["tool_calls"][0]
    assert call["function"] == {"name": "get_weather", "arguments": {"city": "Paris"}}
    assert sent["messages"][3]["content"] == '{"temp": 18}'
    assert sent["messages"][-1]["content"] == "And tomorrow?"
