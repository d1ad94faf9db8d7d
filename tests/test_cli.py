"""The command line without a terminal: -p, stdin, --json, exit codes, sessions subcommands."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fakeserver import FakeServer
from terminal import termchat

from termchat import __version__
from termchat.cli.options import CHAT_OPTIONS


def python_with_module_report(*argv: str, home: Path) -> subprocess.CompletedProcess[str]:
    """Run termchat's entry point with `argv`; stderr ends with the heavy modules it imported."""
    script = (
        "import atexit, sys\n"
        "heavy = ('typer', 'pydantic', 'rich', 'httpx', 'prompt_toolkit', 'dataclasses')\n"
        "atexit.register(lambda: sys.stderr.write('imported: ' + ' '.join(sorted(\n"
        "    m for m in heavy if m in sys.modules)) + '\\n'))\n"
        f"sys.argv = ['termchat', *{list(argv)!r}]\n"
        "from termchat.cli import main\n"
        "main()\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OLLAMA", "TERMCHAT"))}
    env["TERMCHAT_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-c", script],
        input="",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_cli_version_is_fast_path(tmp_path: Path, flag: str) -> None:
    result = python_with_module_report(flag, home=tmp_path)
    assert result.returncode == 0
    assert result.stdout == f"termchat {__version__}\n"
    assert result.stderr == "imported: \n"  # answered before anything heavy loads


def test_cli_chat_starts_without_typer(fake_server: FakeServer, tmp_path: Path) -> None:
    result = python_with_module_report(
        "--host", fake_server.url, "-m", "qwen3", "-yp", "ping", "--think", home=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "You said: ping" in result.stdout
    imported = result.stderr.splitlines()[-1].split()
    assert imported[0] == "imported:"
    assert "typer" not in imported and "pydantic" not in imported


def test_cli_help_lists_every_option_from_the_table(tmp_path: Path) -> None:
    result = termchat("--help", home=tmp_path)
    assert result.returncode == 0, result.stderr
    flat = " ".join(result.stdout.split())  # help text wraps; compare it unwrapped
    for option in CHAT_OPTIONS:
        names = ", ".join(reversed(option.names))
        assert f"{names} {option.metavar}".strip() in flat
        assert " ".join(option.help.split()) in flat
    assert "[PROMPT]..." in flat and "sessions" in flat


def test_cli_readme_documents_every_option() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    usage = readme[readme.index("## Usage") : readme.index("## Keys")].replace("\\|", "|")
    for option in CHAT_OPTIONS:
        assert f"`{', '.join(reversed(option.names))} {option.metavar}".rstrip() in usage


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--help"], id="chat"),
        *(
            pytest.param(["sessions", command, "--help"], id=command)
            for command in ("list", "show", "search", "export", "import", "rename", "delete")
        ),
    ],
)
def test_cli_help_shows_no_python_type_names(tmp_path: Path, args: list[str]) -> None:
    result = termchat(*args, home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not re.search(r"<\w[^>]*>|\b(str|int|bool)\b|[{}]", result.stdout)


def test_cli_prompt_prints_plain_answer(fake_server: FakeServer, tmp_path: Path) -> None:
    fake_server.queue_reply(
        thinking="secret reasoning", content="**Bold** \x1b]52;c;aGk=\x07answer"
    )
    result = termchat("--host", fake_server.url, "-m", "qwen3", "-p", "hi", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "**Bold** answer\n"  # plain text, control sequence removed
    assert "secret reasoning" not in result.stdout + result.stderr


def test_cli_show_thinking_goes_to_stderr(fake_server: FakeServer, tmp_path: Path) -> None:
    fake_server.queue_reply(thinking="step by step", content="done")
    result = termchat(
        "--host", fake_server.url, "-m", "qwen3", "-p", "hi", "--show-thinking", home=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "done\n"
    assert "step by step" in result.stderr


def test_cli_stdin_question(fake_server: FakeServer, tmp_path: Path) -> None:
    result = termchat("--host", fake_server.url, "-m", "llama3.2", home=tmp_path, stdin="ping\n")
    assert result.returncode == 0, result.stderr
    assert "You said: ping" in result.stdout
    assert fake_server.last_chat()["messages"][-1]["content"] == "ping"  # final newline dropped


def test_cli_json_events_exact_text(fake_server: FakeServer, tmp_path: Path) -> None:
    fake_server.queue_reply(thinking="hmm", content="a\x1b[31mb", token_chars=1)
    result = termchat("--host", fake_server.url, "-m", "qwen3", "-p", "x", "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert "".join(e["text"] for e in events if e["type"] == "thinking") == "hmm"
    assert "".join(e["text"] for e in events if e["type"] == "content") == "a\x1b[31mb"
    assert events[-1]["type"] == "done"
    assert events[-1]["stats"]["eval_count"] > 0


@pytest.mark.parametrize(
    ("script", "message"),
    [
        pytest.param({"status": 404}, "not found", id="404"),
        pytest.param({"status": 503}, "server busy", id="503"),
        pytest.param(
            {"error_line": "model runner crashed", "error_after": 2},
            "model runner",
            id="error-line",
        ),
        pytest.param({"drop_after": 2}, "before the reply was complete", id="dropped"),
    ],
)
def test_cli_failures_one_line_on_stderr_nonzero(
    fake_server: FakeServer, tmp_path: Path, script: dict[str, object], message: str
) -> None:
    if "status" in script:
        status = int(str(script["status"]))
        if status == 404:
            result = termchat("--host", fake_server.url, "-m", "nosuch", "-p", "x", home=tmp_path)
            assert "termchat pull nosuch" in result.stderr
        else:
            fake_server.queue_error(status)
            result = termchat("--host", fake_server.url, "-m", "qwen3", "-p", "x", home=tmp_path)
    else:
        fake_server.queue_reply(content="one two three four five", **script)
        result = termchat("--host", fake_server.url, "-m", "qwen3", "-p", "x", home=tmp_path)
    assert result.returncode != 0
    assert message in result.stderr.lower()
    assert "Traceback" not in result.stderr


def test_cli_unreachable_host(tmp_path: Path) -> None:
    result = termchat("--host", "127.0.0.1:9", "-m", "qwen3", "-p", "x", home=tmp_path)
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()  # one line, however long
    assert (
        line
        == 'termchat: error: Cannot reach Ollama at http://127.0.0.1:9 — is "ollama serve" running?'
    )


def test_cli_json_failure_is_an_event(tmp_path: Path) -> None:
    result = termchat("--host", "127.0.0.1:9", "-m", "qwen3", "-p", "x", "--json", home=tmp_path)
    assert result.returncode == 1
    (event,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert event["type"] == "error" and "Cannot reach Ollama" in event["message"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--think", "loudly"], "Unknown think value 'loudly'", id="think"),
        pytest.param(["--backend", "vllm"], "--backend must be ollama or openai", id="backend"),
        pytest.param(["-o", "temperature"], "--option needs KEY=VALUE", id="option"),
        pytest.param(["--think", "--no-think"], "--think and --no-think contradict", id="both"),
        pytest.param(["-p", "a", "b"], "The prompt was given twice", id="prompt-twice"),
        pytest.param(["--mod", "qwen3"], "No such option: --mod", id="abbreviation"),
        pytest.param(["-x"], "No such option: -x", id="unknown"),
        pytest.param(["--json=1"], "Option '--json' does not take a value", id="flag-value"),
        pytest.param(["-m"], "Option '-m' requires an argument", id="missing-value"),
    ],
)
def test_cli_usage_mistake_one_line_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = termchat("--host", "127.0.0.1:9", *args, home=tmp_path)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"termchat: error: {message}")
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "sent"),
    [
        pytest.param(["why", "is", "the", "sky", "blue"], "why is the sky blue", id="words"),
        pytest.param(["why is the sky blue"], "why is the sky blue", id="one-quoted-word"),
        pytest.param(["why", "--no-save", "blue"], "why blue", id="options-between-words"),
        pytest.param(["-p", "-x"], "-x", id="prompt-dash-x"),
        pytest.param(["--prompt=-x"], "-x", id="prompt-equals-dash-x"),
        pytest.param(["--", "-x", "sessions"], "-x sessions", id="after-dashdash"),
    ],
)
def test_cli_prompt_words_and_dash_values(
    fake_server: FakeServer, tmp_path: Path, args: list[str], sent: str
) -> None:
    result = termchat("--host", fake_server.url, "-m", "qwen3", *args, home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert fake_server.last_chat()["messages"][-1]["content"] == sent
    assert result.stdout.startswith(f"You said: {sent}\n")


def test_cli_thinking_unsupported_is_retried_without_think(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    # The server says the model thinks, but the chat endpoint refuses `think`: retry once.
    fake_server.add_model("odd", capabilities=["completion", "thinking"])
    fake_server.queue_error(400, {"error": '"odd" does not support thinking'})
    result = termchat("--host", fake_server.url, "-m", "odd", "--think", "-p", "x", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "does not support thinking" in result.stderr
    first, second = fake_server.chat_requests()[-2:]
    assert first["think"] is True
    assert "think" not in second


def test_cli_sessions_saved_and_listed(fake_server: FakeServer, tmp_path: Path) -> None:
    fake_server.queue_reply(thinking="why", content="because")
    assert (
        termchat(
            "--host", fake_server.url, "-m", "qwen3", "-p", "first question", home=tmp_path
        ).returncode
        == 0
    )
    listed = termchat("sessions", "list", "--json", home=tmp_path)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert len(rows) == 1
    assert rows[0]["title"] == "first question" and rows[0]["messages"] == 2
    exported = termchat("sessions", "export", rows[0]["id"], "--format", "json", home=tmp_path)
    data = json.loads(exported.stdout)
    assert data["messages"][1]["thinking"] == "why"
    assert data["messages"][1]["content"] == "because"


def test_cli_no_save_writes_nothing(fake_server: FakeServer, tmp_path: Path) -> None:
    result = termchat(
        "--host", fake_server.url, "-m", "qwen3", "-p", "x", "--no-save", home=tmp_path
    )
    assert result.returncode == 0
    assert not (tmp_path / "sessions.db").exists()


FIXTURE = Path(__file__).parent / "mcp_server_fixture.py"


def configure_fixture_server(home: Path) -> None:
    """A config.toml that starts the real MCP test server over stdio."""
    (home / "config.toml").write_text(
        "[mcp_servers.fixture]\n"
        f"command = {json.dumps(sys.executable)}\n"
        f"args = [{json.dumps(str(FIXTURE))}]\n"
    )


def test_cli_mcp_server_from_config_tool_runs(fake_server: FakeServer, tmp_path: Path) -> None:
    configure_fixture_server(tmp_path)
    result = termchat(
        "--host",
        fake_server.url,
        "-m",
        "qwen3",
        "--yes",
        "--json",
        "-p",
        'call add {"a": 2, "b": 40}',
        home=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    (tool_result,) = [e for e in events if e["type"] == "tool_result"]
    assert tool_result["content"] == "42" and tool_result["error"] is False
    names = [t["function"]["name"] for t in fake_server.chat_requests()[0]["tools"]]
    assert {"add", "env_has", "fail"} <= set(names)
    assert fake_server.last_chat()["messages"][-1] == {
        "role": "tool",
        "content": "42",
        "tool_name": "add",
    }


def test_cli_mcp_server_that_cannot_start_is_named(fake_server: FakeServer, tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        '[mcp_servers.broken]\ncommand = "/nonexistent/mcp-server"\n'
    )
    result = termchat(
        "--host",
        fake_server.url,
        "-m",
        "qwen3",
        "--tool",
        "calculator",
        "-p",
        "hello",
        home=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "broken" in result.stderr
    assert "You said: hello" in result.stdout
    assert [t["function"]["name"] for t in fake_server.last_chat()["tools"]] == ["calculator"]


def test_cli_tools_not_offered_to_model_without_tools(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    result = termchat(
        "--host",
        fake_server.url,
        "-m",
        "gemma3",
        "--tool",
        "calculator",
        "-p",
        "hello",
        home=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "gemma3 does not support tools" in result.stderr
    assert "tools" not in fake_server.last_chat()


def test_cli_non_interactive_ask_tool_is_denied_without_yes(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    result = termchat(
        "--host",
        fake_server.url,
        "-m",
        "qwen3",
        "--tool",
        "read_file",
        "-p",
        'call read_file {"path": "x.txt"}',
        home=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    tool_message = fake_server.last_chat()["messages"][-1]
    assert tool_message["role"] == "tool"
    assert "--yes" in tool_message["content"]


def test_cli_sessions_search_export_import_rename_delete(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.queue_reply(thinking="pondering zebras", content="Zebras have stripes.")
    assert (
        termchat(
            "--host", fake_server.url, "-m", "qwen3", "-p", "tell me about zebras", home=tmp_path
        ).returncode
        == 0
    )
    (row,) = json.loads(termchat("sessions", "list", "--json", home=tmp_path).stdout)
    found = termchat("sessions", "search", "pondering", home=tmp_path)
    assert found.returncode == 0 and row["id"] in found.stdout
    markdown = termchat("sessions", "export", row["id"][:6], "--format", "md", home=tmp_path)
    assert "<details>" in markdown.stdout and "pondering zebras" in markdown.stdout
    out = tmp_path / "export.json"
    assert (
        termchat(
            "sessions", "export", row["id"], "-f", "json", "-o", str(out), home=tmp_path
        ).returncode
        == 0
    )
    imported = termchat("sessions", "import", str(out), home=tmp_path)
    assert imported.returncode == 0, imported.stderr
    new_id = imported.stdout.strip()
    assert new_id != row["id"]
    renamed = termchat("sessions", "rename", new_id, "Zebra facts", home=tmp_path)
    assert renamed.returncode == 0 and "Zebra facts" in renamed.stdout
    refused = termchat("sessions", "delete", new_id, home=tmp_path)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert termchat("sessions", "delete", new_id, "--yes", home=tmp_path).returncode == 0
    rows = json.loads(termchat("sessions", "list", "--json", home=tmp_path).stdout)
    assert [r["id"] for r in rows] == [row["id"]]
    missing = termchat("sessions", "show", "ffffffffffff", home=tmp_path)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr


def test_cli_mcp_server_that_dies_is_named_and_its_tools_withdrawn(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    configure_fixture_server(tmp_path)
    result = termchat(
        "--host",
        fake_server.url,
        "-m",
        "qwen3",
        "--yes",
        "--tool",
        "calculator",
        "-p",
        "call exit_now {}",
        home=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "MCP server 'fixture' stopped" in result.stderr
    first, second = fake_server.chat_requests()
    assert "exit_now" in [t["function"]["name"] for t in first["tools"]]
    assert [t["function"]["name"] for t in second["tools"]] == ["calculator"]


def test_cli_sessions_list_without_database_is_empty(tmp_path: Path) -> None:
    result = termchat("sessions", "list", "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
    assert not (tmp_path / "sessions.db").exists()
    assert termchat("sessions", "list", "--limit", "0", home=tmp_path).returncode == 2
