"""A day of demanding use (issues 9 and 10): output streams, start-up and error messages, each
driven through the real program — a pipe or a pseudo-terminal — as the user did."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fakeserver import FakeServer, Script
from terminal import TERMCHAT, Terminal, termchat

LINES = "".join(f"Line {n} of a long answer.\n" for n in range(1, 400))


def saved_messages(home: Path) -> list[dict[str, Any]]:
    """The messages of the most recent saved conversation, as `sessions export` gives them."""
    listed = termchat("sessions", "list", "--json", home=home)
    assert listed.returncode == 0, listed.stderr
    newest = json.loads(listed.stdout)[0]["id"]
    exported = termchat("sessions", "export", newest, "--format", "json", home=home)
    assert exported.returncode == 0, exported.stderr
    messages: list[dict[str, Any]] = json.loads(exported.stdout)["messages"]
    return messages


def wait_until(check: Callable[[], bool], timeout: float = 15.0) -> None:
    """Poll `check` until it holds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


@pytest.fixture
def spawn(tmp_path: Path, terminals: list[Terminal]) -> Callable[..., Terminal]:
    """termchat in a real pseudo-terminal (closed after the test)."""

    def start(*args: str, rows: int = 30, cols: int = 100, ready: bool = True) -> Terminal:
        term = Terminal(list(args), home=tmp_path, rows=rows, cols=cols)
        terminals.append(term)
        if ready:
            term.wait_for("^D quit")
        return term

    return start


# --- 9.1: a reader that closes early ---------------------------------------------------------


@pytest.mark.parametrize("json_mode", [False, True], ids=["plain", "json"])
def test_daily_pipe_reader_that_closes_early_ends_quietly_and_keeps_the_reply(
    fake_server: FakeServer, tmp_path: Path, json_mode: bool
) -> None:
    fake_server.queue_reply(content=LINES, delay=0.01)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OLLAMA", "TERMCHAT"))}
    env["TERMCHAT_HOME"] = str(tmp_path)
    args = ["--host", fake_server.url, "-m", "qwen3", "-p", "hi"] + (
        ["--json"] if json_mode else []
    )
    child = subprocess.Popen(
        [*TERMCHAT, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert child.stdout is not None and child.stderr is not None
    assert child.stdout.readline()  # like `head -1`: one line, then the reader goes away
    child.stdout.close()
    status = child.wait(timeout=30)
    stderr = child.stderr.read().decode()
    child.stderr.close()
    assert status == 141  # 128 + SIGPIPE, what a shell shows for `yes | head -1`
    assert stderr == ""
    assert fake_server.wait_for_disconnect(5)  # the server was told to stop generating
    reply = saved_messages(tmp_path)[-1]
    assert reply["role"] == "assistant" and reply["interrupted"] is True
    assert reply["content"] and LINES.startswith(reply["content"])
    assert len(reply["content"]) < len(LINES)


# --- 9.3: the terminal goes away while a reply streams ---------------------------------------


@pytest.mark.parametrize("how", ["window-closed", "sighup"])
def test_daily_pipe_a_closed_terminal_keeps_the_partial_reply(
    spawn: Callable[..., Terminal], fake_server: FakeServer, tmp_path: Path, how: str
) -> None:
    fake_server.queue_reply(content=LINES, delay=0.02)
    term = spawn("--host", fake_server.url, "-m", "qwen3")
    term.line("tell me a long story")
    term.wait_for("Line 3 of a long answer.")
    process = term.child.ptyproc
    if how == "window-closed":
        process.fileobj.close()  # what closing the window does: the pty hangs up
    else:
        os.kill(term.child.pid, signal.SIGHUP)
    wait_until(lambda: not process.isalive())
    messages = saved_messages(tmp_path)
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[-1]["interrupted"] is True
    assert messages[-1]["content"].startswith("Line 1 of a long answer.\nLine 2")


# --- 9.4: -p with piped stdin ------------------------------------------------------------------


@pytest.mark.parametrize(
    "prompt", [["-p", "Summarise the following"], ["Summarise", "the", "following"]]
)
def test_daily_pipe_prompt_and_piped_text_are_sent_together(
    fake_server: FakeServer, tmp_path: Path, prompt: list[str]
) -> None:
    log = "12:00 started\n12:01 failed: disk full\n"
    ran = termchat("--host", fake_server.url, "-m", "qwen3", *prompt, stdin=log, home=tmp_path)
    assert ran.returncode == 0, ran.stderr
    sent = fake_server.last_chat()["messages"][-1]["content"]
    assert sent == "Summarise the following\n\n12:00 started\n12:01 failed: disk full"


def test_daily_pipe_too_much_piped_text_is_refused_with_the_limit(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    big = "x" * (1024 * 1024 + 1)
    ran = termchat(
        "--host", fake_server.url, "-m", "qwen3", "-p", "Summarise", stdin=big, home=tmp_path
    )
    assert ran.returncode == 2
    (line,) = ran.stderr.splitlines()
    assert line.startswith("termchat: error: ") and "1 MiB" in line
    assert fake_server.chat_requests() == []


# --- 9.6: an OpenAI-compatible server without the model --------------------------------------


def test_daily_pipe_openai_unknown_model_names_the_served_ones(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    ran = termchat(
        "--backend",
        "openai",
        "--host",
        fake_server.openai_url,
        "-m",
        "nosuch",
        "-p",
        "hi",
        home=tmp_path,
    )
    assert ran.returncode == 1
    (line,) = ran.stderr.splitlines()
    assert "ollama pull" not in line
    assert "model 'nosuch' not found" in line  # the server's own words
    assert "qwen3:latest" in line and "llama3.2:latest" in line  # what it does serve


# --- 9.16: errors for a wrong address --------------------------------------------------------

HTML_501 = (
    '<!DOCTYPE HTML>\n<html lang="en">\n<head><meta charset="utf-8">'
    "<title>Error response</title></head>\n<body><h1>Error response</h1>"
    "<p>Error code: 501</p><p>Message: Unsupported method ('POST').</p></body></html>\n"
)


@pytest.mark.parametrize("verbose", [False, True], ids=["short", "verbose"])
def test_daily_pipe_a_web_page_as_error_is_one_sentence(
    fake_server: FakeServer, tmp_path: Path, verbose: bool
) -> None:
    fake_server.override("/api/chat", Script(status=501, body=HTML_501, content_type="text/html"))
    extra = ["--verbose"] if verbose else []
    ran = termchat("--host", fake_server.url, "-m", "qwen3", "-p", "hi", *extra, home=tmp_path)
    assert ran.returncode == 1
    (line, *detail) = ran.stderr.splitlines()
    assert line.startswith("termchat: error: Server error 501: Not Implemented")
    assert "--host" in line and detail == []
    if verbose:
        assert "Unsupported method ('POST')" in line
    else:
        assert "<" not in line and "Unsupported method" not in line


def test_daily_pipe_openai_base_without_v1_gets_the_hint(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.override("/chat/completions", Script(status=404, body={"detail": "Not Found"}))
    ran = termchat(
        "--backend", "openai", "--host", fake_server.url, "-m", "qwen3", "-p", "hi", home=tmp_path
    )
    assert ran.returncode == 1
    (line,) = ran.stderr.splitlines()
    assert f"--host {fake_server.url}/v1" in line


def test_daily_pipe_a_reply_cut_off_is_a_sentence_with_the_retry_hint(
    spawn: Callable[..., Terminal], fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.queue_reply(content="One two three four five six.", token_chars=4, drop_after=3)
    term = spawn("--host", fake_server.url, "-m", "qwen3")
    term.line("hello")
    term.wait_for("/retry")
    shown = term.transcript()
    assert "The connection to the server broke off" in shown
    assert "peer closed" not in shown and "incomplete chunked read" not in shown

    fake_server.queue_reply(content="One two three four five six.", token_chars=4, drop_after=3)
    ran = termchat("--host", fake_server.url, "-m", "qwen3", "-p", "hi", home=tmp_path)
    assert ran.returncode == 1
    (line,) = ran.stderr.splitlines()
    assert line.startswith("termchat: error: The connection to the server broke off")
    assert "/retry" not in line and "peer closed" not in line


# --- 9.23: one prefix rule, --think warned, no bytecode --------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--host", "127.0.0.1:9", "-m", "qwen3", "-p", "x"], id="unreachable"),
        pytest.param(["--backend", "vllm", "-p", "x"], id="bad-value"),
        pytest.param(["--nope"], id="unknown-option"),
        pytest.param(["sessions", "show", "zzzz"], id="sessions"),
        pytest.param(["--resume", "-p", "x"], id="resume-without-id"),
    ],
)
def test_daily_pipe_every_error_line_has_one_prefix(tmp_path: Path, args: list[str]) -> None:
    ran = termchat(*args, home=tmp_path)
    assert ran.returncode != 0
    lines = ran.stderr.splitlines()
    assert lines and all(line.startswith("termchat: error: ") for line in lines), lines


def test_daily_pipe_think_for_a_model_that_cannot_is_warned(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    ran = termchat(
        "--host", fake_server.url, "-m", "gemma3", "-p", "hi", "--think", "high", home=tmp_path
    )
    assert ran.returncode == 0, ran.stderr
    assert "termchat: warning: gemma3 does not support thinking" in ran.stderr
    assert "think" not in fake_server.last_chat()


def test_daily_pipe_tools_file_leaves_no_bytecode(
    fake_server: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)  # Python's default: write it
    folder = tmp_path / "mytools"
    folder.mkdir()
    (folder / "tools.py").write_text(
        'def shout(text: str) -> str:\n    """Loud."""\n    return text.upper()\n'
    )
    ran = termchat(
        "--host",
        fake_server.url,
        "-m",
        "qwen3",
        "-p",
        "hi",
        "--tools-file",
        str(folder / "tools.py"),
        home=tmp_path,
    )
    assert ran.returncode == 0, ran.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["tools.py"]


# --- 10.8: start-up and stalls never hang ----------------------------------------------------


@pytest.fixture
def silent_server() -> Iterator[str]:
    """An address that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)  # never accepted: the kernel completes the handshakes
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_daily_pipe_a_silent_server_does_not_keep_the_prompt_away(
    spawn: Callable[..., Terminal], silent_server: str
) -> None:
    term = spawn("--host", silent_server, ready=False)
    term.wait_for("^D quit", timeout=8)  # not the 60 s the model list may take
    assert "no model ❯" in term.display()


def test_daily_pipe_the_model_is_picked_when_the_list_arrives(
    spawn: Callable[..., Terminal], fake_server: FakeServer
) -> None:
    late = Script(status=200, body={"models": [{"name": "llama3.2:latest"}]}, first_delay=1.5)
    fake_server.override("/api/tags", late)
    term = spawn("--host", fake_server.url, ready=False)
    term.wait_for("no model ❯", timeout=8)
    term.wait_for("llama3.2 ❯", timeout=8)
    term.line("hello")
    term.wait_for("You said: hello")
    assert fake_server.last_chat()["model"] == "llama3.2:latest"


def test_daily_pipe_a_stalled_stream_shows_it_is_waiting_and_stops_at_once(
    spawn: Callable[..., Terminal], fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.queue_reply(content="First part.\n\nSecond part.", hold_after=3)
    term = spawn("--host", fake_server.url, "-m", "qwen3")
    term.line("hello")
    term.wait_for(re.compile(r"waiting for the server · [2-9] s"), timeout=10)
    pressed = time.monotonic()
    term.key("ctrl-c")
    term.wait_for("[interrupted]", timeout=5)
    assert time.monotonic() - pressed < 2
    assert "waiting for the server" not in term.display()
    term.wait_for("^D quit")
    reply = saved_messages(tmp_path)[-1]
    assert reply["interrupted"] is True and reply["content"].startswith("First part.")


# --- 10.12: a cap on tool calls per reply ----------------------------------------------------


def test_daily_pipe_tool_calls_per_reply_are_capped(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    calls = [{"name": "calculator", "arguments": {"expression": f"{n}+1"}} for n in range(30)]
    fake_server.queue_reply(tool_calls=calls)
    ran = termchat(
        "--host",
        fake_server.url,
        "-m",
        "qwen3",
        "-p",
        "add",
        "--tool",
        "calculator",
        home=tmp_path,
    )
    assert ran.returncode == 0, ran.stderr
    results = [m for m in fake_server.last_chat()["messages"] if m["role"] == "tool"]
    assert len(results) == 30
    ran_ones = [m for m in results if "not run" not in m["content"]]
    assert [m["content"] for m in ran_ones] == [str(n + 1) for n in range(20)]
    assert all("more than 20 tool calls in one reply" in m["content"] for m in results[20:])
    assert "termchat: warning: " in ran.stderr and "20" in ran.stderr
