"""Hostile output: the corpus of tests/hostile.py through every output path, in a real pty.

Model names from `/api/tags` and `/v1/models`, reasoning and answers cut at every offset, server
error bodies, tool names, arguments and output, `/pull` status lines, titles and messages of an
imported conversation (resumed, picked, listed, shown, searched, exported, renamed, deleted),
`-p` and `--json` on a terminal. Each test counts, in the raw bytes the terminal received, the
escape sequences, C1 controls and bidi controls that termchat does not write itself: 0.
"""

from __future__ import annotations

import ast
import asyncio
import io
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fakeserver import FakeServer, Script
from hostile import ALL, CORPUS, foreign_sequences, split_everywhere
from prompt_toolkit.data_structures import Size
from prompt_toolkit.input import create_pipe_input
from terminal import Terminal

import termchat.repl
from termchat.messages import Message, ToolCall
from termchat.render import Renderer
from termchat.repl.dialogs import ReplApprover
from termchat.repl.output import SafeOutput
from termchat.repl.toolbar import toolbar
from termchat.tools.policy import ApprovalAnswer

# The worst of the corpus in one model name (names are cut at 256 characters).
PICKED = "m" + "".join(
    CORPUS[key]
    for key in (
        "osc52-clipboard",
        "osc0-title",
        "csi-clear-screen",
        "csi-mouse-tracking",
        "c1-csi",
        "bidi-override",
        "markup-link",
        "invisible",
    )
)
NAMES = [f"m{payload}x" for payload in CORPUS.values()]


def assert_clean(term: Terminal) -> None:
    """Nothing termchat did not write reached the terminal, and nothing crashed."""
    found = foreign_sequences(bytes(term.raw))
    assert not found, f"{sum(found.values())} foreign sequences: {found.most_common(12)}"
    assert "Traceback" not in term.transcript()


def serve_names(server: FakeServer, names: list[str], *, picked: str, times: int = 4) -> None:
    """The server knows exactly `names` (and `picked`, its newest); its model lists give them
    as they are, not lower-cased (the first `times` listings of each API)."""
    for name in list(server.models):
        server.remove_model(name)
    for name in [picked, *names]:
        server.add_model(name, ["completion", "tools", "thinking"])

    def modified(name: str) -> str:
        return "2025-07-01T00:00:00Z" if name == picked else "2025-06-01T00:00:00Z"

    tags = {
        "models": [
            {"name": n, "model": n, "modified_at": modified(n), "size": 1, "details": {}}
            for n in [*names, picked]
        ]
    }
    models = {"object": "list", "data": [{"id": n, "object": "model"} for n in [picked, *names]]}
    for _ in range(times):
        server.override("/api/tags", Script(body=tags))
        server.override("/v1/models", Script(body=models))


def stream_chunks(pieces: list[str], field: str) -> list[dict[str, Any]]:
    """Raw Ollama chunks carrying `pieces` as reasoning or answer, then the final chunk."""
    chunks = [{"message": {"role": "assistant", "content": "", field: p}} for p in pieces]
    return [*chunks, {"message": {"role": "assistant", "content": ""}, "done": True}]


def test_corpus_is_seen_by_the_counter() -> None:
    invisible = {"carriage-return", "markup-link", "markup-close", "markup-style", "emoji-code"}
    invisible |= {"invisible"}
    for key, payload in CORPUS.items():
        counted = foreign_sequences(f"a{payload}b".encode())
        assert bool(counted) == (key not in invisible), key


def test_counter_lets_termchats_own_sequences_pass() -> None:
    own = "\x1b[0;38;5;197m\x1b[?2026h\x1b[3A\x1b[J\x1b[2K\x1b[?25l\x1b[6n\x1b[?2004h\r\n\x1b[0m"
    assert not foreign_sequences(own.encode())


def test_hostile_names_in_the_repl(fake_server: FakeServer, tmp_path: Path) -> None:
    """Picked when no -m is given, in the prompt, toolbar, spinner, footer, /models, /info, the
    completion menu; then reasoning, answer and an error body made of the whole corpus."""
    serve_names(fake_server, ["menu-marker", *NAMES], picked=PICKED)
    fake_server.queue_reply(thinking=ALL, content=ALL, first_delay=0.6)
    fake_server.queue_error(500, {"error": ALL})
    term = Terminal(["--host", fake_server.url], home=tmp_path)
    try:
        term.wait_for("❯")
        term.line("hello")
        term.wait_for("#1 ·")
        term.line("/models")
        term.wait_for("params")
        term.line("/info")
        term.wait_for("context length")
        term.type("/model ")
        term.key("tab")
        term.wait_for("menu-marker")
        term.key("ctrl-c")
        term.line("again")
        term.wait_for("evil.example]click[/link]", timeout=10)
        term.key("ctrl-d")
        assert term.wait_exit() == 0
        assert_clean(term)
    finally:
        term.close()


def test_answer_cut_at_every_offset_in_the_repl(fake_server: FakeServer, tmp_path: Path) -> None:
    pieces = split_everywhere(list(CORPUS.values()))
    fake_server.queue_reply(
        stream_chunks(pieces, "thinking")[:-1]
        + stream_chunks(pieces, "content")[:-1]
        + [{"message": {"role": "assistant", "content": "END"}, "done": True}],
        decorate=True,
        delay=0.0005,
    )
    term = Terminal(["--host", fake_server.url, "-m", "qwen3", "--show-thinking"], home=tmp_path)
    try:
        term.wait_for("❯")
        term.line("go")
        term.wait_for(re.compile(r"END\s*\n.*#1 ·"), timeout=30)
        term.key("ctrl-d")
        assert term.wait_exit() == 0
        assert_clean(term)
    finally:
        term.close()


@pytest.mark.parametrize(
    "mode",
    [
        pytest.param(["-p", "go"], id="print"),
        pytest.param(["-p", "go", "--json"], id="json"),
        pytest.param(["-p", "go", "--backend", "openai"], id="openai-print"),
    ],
)
def test_oneshot_on_a_terminal(fake_server: FakeServer, tmp_path: Path, mode: list[str]) -> None:
    """-p and --json on a terminal, the model picked from the server's hostile list: the notice,
    reasoning and answer cut at every offset, the footer."""
    serve_names(fake_server, NAMES, picked=PICKED)
    pieces = split_everywhere(list(CORPUS.values()))
    chunks = stream_chunks(pieces, "thinking")[:-1] + stream_chunks(pieces, "content")
    fake_server.queue_reply(chunks, decorate=True)
    openai = "openai" in mode
    host = fake_server.openai_url if openai else fake_server.url
    term = Terminal(["--host", host, "--show-thinking", *mode], home=tmp_path)
    try:
        assert term.wait_exit(timeout=30) == 0
        assert_clean(term)
        assert "No model given" in term.transcript()
    finally:
        term.close()


TOOLS_FILE = f'''
def read_note(path: str) -> str:
    """Read a file. {json.dumps(ALL)[1:-1]}

    Args:
        path: Which file.
    """
    return "contents of " + path
'''


def test_hostile_tools(fake_server: FakeServer, tmp_path: Path) -> None:
    """Tool names, arguments and output, an unknown tool, /tools, the approval prompt; an
    argument's invisible characters are shown before it is approved."""
    tools = tmp_path / "tools.py"
    tools.write_text(TOOLS_FILE, encoding="utf-8")
    printf = "printf '" + "".join(f"\\{byte:03o}" for byte in ALL.encode()) + "'"
    fake_server.queue_reply(tool_calls=[{"name": "run_shell", "arguments": {"command": printf}}])
    fake_server.queue_reply(content="shell done")
    fake_server.queue_reply(tool_calls=[{"name": "no" + ALL[:200], "arguments": {ALL: ALL}}])
    fake_server.queue_reply(content="unknown done")
    fake_server.queue_reply(
        tool_calls=[{"name": "read_note", "arguments": {"path": "a\u200bb" + ALL}}]
    )
    fake_server.queue_reply(content="file done")
    args = ["--host", fake_server.url, "-m", "qwen3", "--tool", "run_shell"]
    term = Terminal([*args, "--tools-file", str(tools)], home=tmp_path, cols=200)
    try:
        term.wait_for("❯")
        term.line("/tools")
        term.wait_for("enabled")
        term.line("shell")
        term.wait_for("Run run_shell?")
        term.type("y")
        term.wait_for("shell done")
        term.line("unknown")
        term.wait_for("unknown done")
        term.line("file")
        term.wait_for("Run read_note?")
        assert '"a<U+200B>b<' in term.transcript()
        # the shell's output and both calls' arguments, each with the invisible characters shown
        assert term.transcript().count("<U+3164>") >= 3
        term.type("y")
        term.wait_for("file done")
        term.key("ctrl-d")
        assert term.wait_exit() == 0
        assert_clean(term)
    finally:
        term.close()


def test_hostile_pull_status(fake_server: FakeServer, tmp_path: Path) -> None:
    lines = [{"status": f"pulling {payload}"} for payload in CORPUS.values()]
    lines.append({"status": "success"})
    body = "".join(json.dumps(line) + "\n" for line in lines)
    fake_server.override("/api/pull", Script(body=body, content_type="application/x-ndjson"))
    term = Terminal(["--host", fake_server.url, "-m", "qwen3"], home=tmp_path)
    try:
        term.wait_for("❯")
        term.line("/pull qwen3")
        term.wait_for("Pulled qwen3")
        term.key("ctrl-d")
        assert term.wait_exit() == 0
        assert_clean(term)
        assert "pulling [/i]" in term.transcript()
    finally:
        term.close()


def hostile_export() -> dict[str, Any]:
    """A conversation whose every string is the corpus: title, model, messages, tool calls."""

    def message(role: str, seq: int, **extra: Any) -> dict[str, Any]:
        base: dict[str, Any] = {
            "role": role,
            "content": f"evil {ALL}",
            "thinking": "",
            "tool_calls": [],
            "tool_name": None,
            "tool_call_id": None,
            "images": [],
            "model": PICKED if role == "assistant" else None,
            "stats": None,
            "interrupted": False,
            "error": None,
            "created_at": 1_700_000_000.0 + seq,
            "seq": seq,
            "gen": 0,
            "parent_gen": None if seq == 0 else 0,
        }
        base.update(extra)
        return base

    call = {"function": {"name": "x" + ALL[:200], "arguments": {ALL: ALL}}, "id": "c1"}
    return {
        "format": "termchat-session",
        "version": 1,
        "id": "abcd1234",
        "title": "t" + ALL,
        "model": PICKED,
        "system": ALL,
        "options": None,
        "think": None,
        "created_at": 1_700_000_000.0,
        "updated_at": 1_700_000_100.0,
        "messages": [
            message("user", 0),
            message("assistant", 1, thinking=ALL, tool_calls=[call]),
            message("tool", 2, tool_name="x" + ALL[:200], tool_call_id="c1"),
            message("assistant", 3, error=ALL),
        ],
        "alternatives": [],
    }


def run(args: list[str], home: Path, answer: str | None = None) -> Terminal:
    """termchat ARGS in a pty until it exits (answering a question with `answer`)."""
    term = Terminal(args, home=home)
    try:
        if answer is not None:
            term.wait_for("?")
            term.line(answer)
        term.wait_exit()
    finally:
        term.close()
    return term


def test_hostile_sessions(fake_server: FakeServer, tmp_path: Path) -> None:
    """An imported conversation: every `sessions` subcommand on a terminal, then resumed."""
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(hostile_export()), encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    imported = run(["sessions", "import", str(path)], home)
    session_id = re.search(r"as ([0-9a-z]{8}) ", bytes(imported.raw).decode())
    assert session_id is not None, bytes(imported.raw)
    sid = session_id.group(1)
    terms = [imported]
    for args in (
        ["sessions", "list"],
        ["sessions", "list", "--json"],
        ["sessions", "show", sid],
        ["sessions", "search", "evil"],
        ["sessions", "search", "evil", "--json"],
        ["sessions", "export", sid],
        ["sessions", "export", sid, "-f", "json"],
        ["sessions", "rename", sid, ""],
    ):
        terms.append(run(args, home))
    terms.append(run(["sessions", "delete", sid], home, answer="n"))
    for term in terms:
        assert_clean(term)
    term = Terminal(["--host", fake_server.url, "-r", sid], home=home)
    try:
        term.wait_for("❯")
        shown = term.transcript().count(sid + ")")  # the resume banner names it too
        term.line("/title")
        term.wait_for(lambda: term.transcript().count(sid + ")") > shown)
        term.line("/new")
        term.wait_for("❯ ")
        term.line("/resume")
        term.wait_for("Resume (type to filter)")
        term.type("\x1b")
        term.wait_for("Nothing resumed")
        term.key("ctrl-d")
        term.wait_exit()
        assert_clean(term)
    finally:
        term.close()


def test_the_repl_draws_only_through_its_safe_output() -> None:
    """Every prompt, application and printed line of the REPL names its output (the frontend's
    SafeOutput); one that did not would draw through prompt_toolkit's default output."""
    folder = Path(termchat.repl.__file__).parent
    drawing = {"PromptSession", "Application", "print_formatted_text"}
    missing = []
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if isinstance(func, ast.Subscript) and isinstance(func.value, ast.Name):
                name = func.value.id  # PromptSession[str](...)
            keywords = {k.arg for k in node.keywords}
            if name in drawing and "output" not in keywords and None not in keywords:
                missing.append(f"{path.name}:{node.lineno}")
    assert missing == []


# --- invisible characters are shown where they could disguise text -----------------------------


def recorded() -> Renderer:
    return Renderer(file=io.StringIO(), width=200, record=True, color_system=None)


def test_invisible_characters_shown_in_link_targets() -> None:
    renderer = recorded()
    renderer.markdown("see <https://pay\u200bpal.com/lo\u2060gin> or [here](https://ex\u3164.com)")
    text = renderer.console.export_text()
    assert "https://pay<U+200B>pal.com/lo<U+2060>gin" in text
    assert "(https://xn--" in text  # a target's host is shown as the terminal would reach it


def test_invisible_characters_shown_in_tool_calls_and_results() -> None:
    renderer = recorded()
    renderer.tool_call("read\u200bfile", {"path": "notes\u3164.txt", "command": "rm\u00ad -rf"})
    listing = "report.txt\nreport\u200b.txt\n👨‍👩‍👧.md"
    renderer.tool_result(Message("tool", listing, tool_name="list\u2060dir"))
    text = renderer.console.export_text()
    assert "⚙ read<U+200B>file" in text
    assert "notes<U+3164>.txt" in text and "rm<U+00AD> -rf" in text
    assert "↳ list<U+2060>dir" in text
    assert "report<U+200B>.txt" in text


def test_invisible_characters_shown_in_model_names() -> None:
    renderer = recorded()
    renderer.footer("qwen3\u200b:8b", None, 1.0)
    renderer.user_message("hi", model="qwen3\u3164")
    text = renderer.console.export_text()
    assert "qwen3<U+200B>:8b" in text and "qwen3<U+3164> ❯ hi" in text
    assert toolbar(
        model="qwen3\u2060",
        problem=None,
        thinking="",
        can_think=False,
        shown=False,
        saving=True,
        width=80,
    )[1] == ("class:bottom-toolbar.model", "qwen3<U+2060>")


def test_approval_prompt_shows_the_tool_name_exactly() -> None:
    out = io.StringIO()

    async def ask() -> ApprovalAnswer | None:
        with create_pipe_input() as pipe:
            approver = ReplApprover(pipe, SafeOutput(out, lambda: Size(rows=24, columns=200)))
            pipe.send_text("y")
            call = ToolCall("run\u200bshell\u202e", {"command": "ls"})
            return await approver.approve(call, offer_always=False)

    answer = asyncio.run(ask())
    assert answer is not None and answer.kind == "once"
    assert "Run run<U+200B>shell<U+202E>?" in out.getvalue()


def test_foreign_sequences_tell_prompt_toolkits_backspace_from_a_leaked_one() -> None:
    assert foreign_sequences(b"\x1b[0mab\x08c") == Counter()  # cursor one left, as pt writes it
    assert foreign_sequences(b"ab\x07\x08\x0bc") == Counter(
        {"'\\x07'": 1, "'\\x08'": 1, "'\\x0b'": 1}
    )
