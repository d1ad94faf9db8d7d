"""A day of demanding use (issue 9): each test drives the installed program through a pipe, as the
user did, and would have caught what the user found."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from fakeserver import FakeServer
from terminal import Terminal, termchat


def test_daily_session_ids_need_four_characters_even_for_an_imported_copy(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    for question in ("one", "two", "three"):
        ran = termchat("--host", fake_server.url, "-m", "qwen3", "-p", question, home=tmp_path)
        assert ran.returncode == 0, ran.stderr
    listed = json.loads(termchat("sessions", "list", "--json", home=tmp_path).stdout)
    first = listed[0]["id"]
    exported = termchat("sessions", "export", first[:4], "--format", "json", home=tmp_path)
    assert exported.returncode == 0, exported.stderr
    (tmp_path / "copy.json").write_text(exported.stdout)
    imported = termchat("sessions", "import", str(tmp_path / "copy.json"), home=tmp_path)
    assert imported.returncode == 0, imported.stderr
    ids = [
        row["id"]
        for row in json.loads(termchat("sessions", "list", "--json", home=tmp_path).stdout)
    ]
    assert len(ids) == 4 and len({i[:4] for i in ids}) == 4
    for session_id in ids:
        shown = termchat("sessions", "show", session_id[:4], home=tmp_path)
        assert shown.returncode == 0, shown.stderr


def test_daily_a_failed_message_is_replaced_not_sent_again(
    spawn: Callable[..., Terminal], fake_server: FakeServer
) -> None:
    fake_server.queue_error(503)
    term = spawn("-m", "qwen3")
    term.line("first try")
    term.wait_for("/retry sends it again")
    fake_server.queue_reply(content="Second answer.")
    term.line("second question")
    term.wait_for("Second answer.")
    assert "not sent is dropped" in term.transcript()
    sent = [m["content"] for m in fake_server.last_chat()["messages"]]
    assert sent == ["second question"]


def test_daily_ollama_run_habits_are_understood(
    spawn: Callable[..., Terminal], fake_server: FakeServer
) -> None:
    term = spawn("-m", "qwen3")
    term.line("/set parameter temperature 0.5")
    term.wait_for("temperature = 0.5")
    term.line("/set stop ###")
    term.wait_for("stop = ###")
    term.line("/set nothink")
    term.wait_for("Thinking: off")
    term.line("/show info")
    term.wait_for("capabilities")
    term.line("hello")
    term.wait_for("You said: hello")
    sent = fake_server.last_chat()
    assert sent["options"] == {"temperature": 0.5, "stop": ["###"]}
    assert sent["think"] is False
    text = term.transcript()
    assert "['###']" not in text and "Unknown" not in text


def test_daily_the_conversation_has_a_name_inside_the_repl_and_on_exit(
    spawn: Callable[..., Terminal], fake_server: FakeServer, tmp_path: Path
) -> None:
    term = spawn("-m", "qwen3")
    term.line("/title")
    term.wait_for("Not saved yet")
    term.line("name me")
    term.wait_for("You said: name me")
    term.line("/title")
    term.wait_for("Saved as “name me”")
    term.key("ctrl-d")
    assert term.wait_exit() == 0
    listed = json.loads(termchat("sessions", "list", "--json", home=tmp_path).stdout)
    assert f"termchat -r {listed[0]['id']}" in term.transcript()


def test_daily_a_resumed_prompt_names_the_model_that_answered_it(
    spawn: Callable[..., Terminal], fake_server: FakeServer, tmp_path: Path
) -> None:
    ran = termchat("--host", fake_server.url, "-m", "gemma3", "-p", "old question", home=tmp_path)
    assert ran.returncode == 0, ran.stderr
    term = spawn("-m", "qwen3", "--continue")
    term.wait_for("Resumed")
    assert "gemma3 ❯ old question" in term.transcript()
    assert "qwen3 ❯ old question" not in term.transcript()


def test_daily_one_shots_are_marked_and_continue_prefers_the_chat(
    spawn: Callable[..., Terminal], fake_server: FakeServer, tmp_path: Path
) -> None:
    term = spawn("-m", "qwen3")
    term.line("a real chat")
    term.wait_for("You said: a real chat")
    term.key("ctrl-d")
    assert term.wait_exit() == 0
    for number in range(3):
        ran = termchat(
            "--host", fake_server.url, "-m", "qwen3", "-p", f"quick {number}", home=tmp_path
        )
        assert ran.returncode == 0, ran.stderr
    listed = json.loads(termchat("sessions", "list", "--json", home=tmp_path).stdout)
    assert [row["kind"] for row in listed] == ["oneshot", "oneshot", "oneshot", "chat"]
    again = spawn("-m", "qwen3", "--continue")
    again.wait_for("Resumed “a real chat”")
    scripted = termchat(
        "--host", fake_server.url, "-m", "qwen3", "-c", "-p", "and then?", home=tmp_path
    )
    assert scripted.returncode == 0, scripted.stderr
    sent = [m["content"].split("\n")[0] for m in fake_server.last_chat()["messages"]]
    assert sent == ["quick 2", "You said: quick 2", "and then?"]


def test_daily_sessions_output_is_for_scripts_when_piped(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    for question in ("zebra one", "zebra two zebra zebra"):
        ran = termchat("--host", fake_server.url, "-m", "qwen3", "-p", question, home=tmp_path)
        assert ran.returncode == 0, ran.stderr
    listed = termchat("sessions", "list", home=tmp_path)
    lines = listed.stdout.splitlines()
    assert len(lines) == 2
    for line in lines:
        fields = line.split("\t")
        assert len(fields) == 6 and fields[2] == "oneshot" and not line.endswith(" ")
    assert lines[0].endswith("\tzebra two zebra zebra")
    found = json.loads(termchat("sessions", "search", "zebra", "--json", home=tmp_path).stdout)
    assert sorted(hit["title"] for hit in found) == ["zebra one", "zebra two zebra zebra"]
    plain = termchat("sessions", "search", "zebra", home=tmp_path).stdout.splitlines()
    assert len(plain) == 2 and all(len(line.split("\t")) == 3 for line in plain)
