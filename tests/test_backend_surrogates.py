"""A character outside the BMP sent as two surrogate halves in two chunks (`"\\ud83d"` then
`"\\ude00"`, as servers do when a tokenizer splits an emoji) arrives whole; a lone half becomes
U+FFFD. Checked in the decoders, over HTTP, and end to end in -p and the REPL, both backends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from backend_helpers import ask, assert_well_formed, chat_events, text_of
from fakeserver import FakeServer
from terminal import Terminal

from termchat.backends.fields import TextJoin, clean_text
from termchat.backends.ndjson import OllamaStream
from termchat.backends.ollama import OllamaBackend
from termchat.backends.openai import OpenAIBackend
from termchat.backends.sse import OpenAIStream
from termchat.messages import ContentDelta, Done, Event, ThinkingDelta
from termchat.store import SessionStore

SMILE = "\U0001f600"
HIGH, LOW = "\ud83d", "\ude00"

CASES = [
    pytest.param([HIGH, LOW], SMILE, id="split-pair"),
    pytest.param(["a" + HIGH, LOW + "b"], f"a{SMILE}b", id="split-pair-with-text"),
    pytest.param([HIGH, "", LOW], SMILE, id="empty-piece-between"),
    pytest.param([HIGH + LOW], SMILE, id="pair-in-one-piece"),
    pytest.param(["x" + HIGH], "x\ufffd", id="lone-high-at-end"),
    pytest.param([LOW + "y"], "\ufffdy", id="lone-low"),
    pytest.param([HIGH, "z"], "\ufffdz", id="high-then-text"),
    pytest.param([HIGH, HIGH, LOW], f"\ufffd{SMILE}", id="two-highs"),
    pytest.param(["é", HIGH, LOW, "ü"], f"é{SMILE}ü", id="non-ascii-around"),
]


@pytest.mark.parametrize(("pieces", "expected"), CASES)
def test_text_join(pieces: list[str], expected: str) -> None:
    join = TextJoin()
    out = "".join(join.push(p) for p in pieces) + join.close()
    assert out == expected


@pytest.mark.parametrize(("pieces", "expected"), CASES)
def test_ollama_stream_joins_halves_in_thinking_and_content(
    pieces: list[str], expected: str
) -> None:
    stream = OllamaStream()
    events: list[Event] = []
    for piece in pieces:
        line = {"message": {"thinking": piece, "content": piece}, "done": False}
        events += stream.feed(json.dumps(line).encode() + b"\n")
    events += stream.feed(b'{"done": true}\n')
    assert_well_formed(events)
    assert text_of(events, ThinkingDelta) == expected
    assert text_of(events, ContentDelta) == expected
    assert isinstance(events[-1], Done)


@pytest.mark.parametrize(("pieces", "expected"), CASES)
def test_openai_stream_joins_halves(pieces: list[str], expected: str) -> None:
    stream = OpenAIStream()
    events: list[Event] = []
    for piece in pieces:
        chunk = {"choices": [{"index": 0, "delta": {"reasoning": piece, "content": piece}}]}
        events += stream.feed(b"data: " + json.dumps(chunk).encode() + b"\n\n")
    events += stream.end()  # EOF without [DONE]: a held half still comes out, before the error
    assert_well_formed(events)
    assert text_of(events, ThinkingDelta) == expected
    assert text_of(events, ContentDelta) == expected


def test_halves_inside_tool_calls_and_errors_are_cleaned() -> None:
    call = {"function": {"name": "f" + HIGH, "arguments": {"k" + LOW: [HIGH + LOW, HIGH]}}}
    lines = [
        {"message": {"tool_calls": [call]}, "done": False},
        {"error": "bad " + HIGH},
    ]
    stream = OllamaStream()
    events = stream.feed(b"".join(json.dumps(x).encode() + b"\n" for x in lines))
    assert_well_formed(events)
    assert events[0].calls[0].name == "f\ufffd"  # type: ignore[union-attr]
    assert events[0].calls[0].arguments == {"k\ufffd": [SMILE, "\ufffd"]}  # type: ignore[union-attr]
    assert events[1].message == "bad \ufffd"  # type: ignore[union-attr]


def test_openai_argument_fragments_split_inside_a_pair() -> None:
    stream = OpenAIStream()
    fragments = ['{"e": "', HIGH, LOW + '"}']
    events: list[Event] = []
    for i, piece in enumerate(fragments):
        head = {"index": 0, "id": "c", "function": {"name": "f"}} if i == 0 else {"index": 0}
        head["function"] = {**head.get("function", {}), "arguments": piece}
        chunk = {"choices": [{"index": 0, "delta": {"tool_calls": [head]}}]}
        events += stream.feed(b"data: " + json.dumps(chunk).encode() + b"\n\n")
    events += stream.feed(b"data: [DONE]\n\n")
    assert_well_formed(events)
    assert events[0].calls[0].arguments == {"e": SMILE}  # type: ignore[union-attr]


def test_clean_text_leaves_good_text_alone() -> None:
    text = "plain ascii, ünïcödé, 中文, " + SMILE
    assert clean_text(text) is text


# --- over HTTP and end to end -----------------------------------------------------------------

PIECES = ["Smile ", HIGH, LOW, " and a lone half: ", HIGH, " end."]
SHOWN = f"Smile {SMILE} and a lone half: \ufffd end."


def queue_split_emoji(server: FakeServer) -> None:
    chunks: list[dict[str, Any]] = [
        {"message": {"role": "assistant", "content": p}, "done": False} for p in PIECES
    ]
    chunks.append({"message": {"role": "assistant", "content": ""}, "done": True})
    server.queue_reply(chunks)


@pytest.mark.parametrize("openai", [False, True], ids=["ollama", "openai"])
def test_split_emoji_over_http(fake_server: FakeServer, openai: bool) -> None:
    queue_split_emoji(fake_server)
    if openai:
        events = chat_events(OpenAIBackend, fake_server.openai_url, ask())
    else:
        events = chat_events(OllamaBackend, fake_server.url, ask())
    assert_well_formed(events)
    assert text_of(events, ContentDelta) == SHOWN


def backend_args(server: FakeServer, openai: bool) -> list[str]:
    if openai:
        return ["--backend", "openai", "--host", server.openai_url, "-m", "qwen3"]
    return ["--host", server.url, "-m", "qwen3"]


def stored_reply(home: Path) -> str:
    store = SessionStore.open(home / "sessions.db")
    try:
        latest = store.latest_session()
        assert latest is not None
        messages = store.load_messages(latest.id)
    finally:
        store.close()
    assert [m.role for m in messages] == ["user", "assistant"]
    return messages[-1].content


@pytest.mark.parametrize("openai", [False, True], ids=["ollama", "openai"])
def test_split_emoji_in_one_shot_mode(
    fake_server: FakeServer, tmp_path: Path, openai: bool
) -> None:
    queue_split_emoji(fake_server)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OLLAMA", "TERMCHAT"))}
    env.update(TERMCHAT_HOME=str(tmp_path), PYTHONIOENCODING="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "termchat", *backend_args(fake_server, openai), "-p", "smile"],
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )
    stderr = done.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr
    assert done.returncode == 0, stderr
    assert SHOWN in done.stdout.decode("utf-8")
    assert stored_reply(tmp_path) == SHOWN


@pytest.mark.parametrize("openai", [False, True], ids=["ollama", "openai"])
def test_split_emoji_in_the_repl(fake_server: FakeServer, tmp_path: Path, openai: bool) -> None:
    queue_split_emoji(fake_server)
    term = Terminal(backend_args(fake_server, openai), home=tmp_path)
    try:
        term.wait_for("qwen3 ❯")
        term.line("smile")
        term.wait_for("end.")
        assert "Traceback" not in term.transcript()
        assert f"{SMILE} and a lone half: \ufffd end." in term.transcript()
        term.key("ctrl-d")
        assert term.wait_exit() == 0
    finally:
        term.close()
    assert stored_reply(tmp_path) == SHOWN
