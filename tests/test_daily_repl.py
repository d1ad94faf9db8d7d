"""A day of demanding use (issue 9), the REPL's part: each test drives the program in a real
pseudo-terminal, as the user did, and would have caught what the user found."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fakeserver import FakeServer
from terminal import Terminal, picker_rows, termchat, toolbar

Spawn = Callable[..., Terminal]

TOOLS_FILE = str(Path(__file__).parent / "data" / "sample_tools.py")
ASK = "Run shout? [y] yes"
LONG_MODEL = "hf.co/unsloth/Qwen3-30B-A3B-Instruct-2507-GGUF:Q4_K_M"
CTRL_E = "\x05"
CTRL_G = "\x07"
CTRL_R = "\x12"
CTRL_X_CTRL_E = "\x18\x05"
ESCAPE = "\x1b"
RESUME = "Resume (type to filter"  # the resume picker's title line


@pytest.fixture
def spawn(fake_server: FakeServer, tmp_path: Path, terminals: list[Terminal]) -> Spawn:
    """termchat in a real pseudo-terminal against the fake server (closed after the test)."""

    def start(
        *args: str,
        host: str | None = None,
        rows: int = 30,
        cols: int = 100,
        env: dict[str, str] | None = None,
    ) -> Terminal:
        term = Terminal(
            ["--host", host or fake_server.url, *args],
            home=tmp_path,
            rows=rows,
            cols=cols,
            env=env,
        )
        terminals.append(term)
        return term

    return start


def ready(term: Terminal) -> None:
    """Wait for the prompt and its toolbar."""
    term.wait_for(lambda: "❯" in term.display() and toolbar(term) != "")


def test_daily_repl_ctrl_r_enter_sends_the_found_entry_and_escape_or_ctrl_g_leave(
    spawn: Spawn, fake_server: FakeServer
) -> None:
    term = spawn("-m", "llama3.2")
    ready(term)
    term.line("first question")
    term.wait_for("You said: first question")
    term.line("second question")
    term.wait_for("You said: second question")

    term.type(CTRL_R + "first")
    term.wait_for("I-search backward: first")
    term.key("enter")
    term.wait_for(lambda: len(fake_server.chat_requests()) == 3)
    assert fake_server.user_messages()[-1] == "first question"
    term.wait_for(lambda: term.transcript().count("You said: first question") == 2)
    ready(term)
    assert "I-search" not in term.display()

    # Ctrl-G gives up the search and gives back the line as it was.
    term.type("draft" + CTRL_R + "second")
    term.wait_for("I-search backward: second")
    term.type(CTRL_G)
    term.wait_for(lambda: "I-search" not in term.display())
    term.line(" kept")
    term.wait_for("You said: draft kept")

    # Escape leaves the search with the found entry, to be edited before sending.
    term.type(CTRL_R + "second")
    term.wait_for("I-search backward: second")
    term.type(ESCAPE)
    term.wait_for(lambda: "I-search" not in term.display())
    term.line(CTRL_E + " again")
    term.wait_for("You said: second question again")
    assert fake_server.user_messages() == [
        "first question",
        "second question",
        "first question",
        "draft kept",
        "second question again",
    ]


# --- 9.9 editor commands -------------------------------------------------------------------


@pytest.fixture
def editor(tmp_path: Path) -> tuple[str, Path]:
    """A stand-in $EDITOR: replaces the file with the contents of `next` when that exists,
    else leaves it as it was (as `true` does)."""
    following = tmp_path / "next-edit"
    script = tmp_path / "editor.sh"
    script.write_text(f'if [ -f "{following}" ]; then cat "{following}" > "$1"; fi\n')
    return f"sh {script}", following


def test_daily_repl_ctrl_x_ctrl_e_unchanged_sends_nothing(
    spawn: Spawn, fake_server: FakeServer
) -> None:
    term = spawn("-m", "llama3.2", env={"EDITOR": "true"})
    ready(term)
    term.type("half typed" + CTRL_X_CTRL_E)
    term.type(" draft")
    term.wait_for("❯ half typed draft")
    term.key("enter")
    term.wait_for("You said: half typed draft")
    assert fake_server.user_messages() == ["half typed draft"]

    term.type(CTRL_X_CTRL_E)  # an empty buffer: nothing to send either
    term.line("/title")
    term.wait_for("Saved as")
    assert len(fake_server.chat_requests()) == 1


def test_daily_repl_ctrl_x_ctrl_e_changed_goes_back_to_the_prompt(
    spawn: Spawn, fake_server: FakeServer, editor: tuple[str, Path]
) -> None:
    command, following = editor
    following.write_text("edited in the editor\n")
    term = spawn("-m", "llama3.2", env={"EDITOR": command})
    ready(term)
    term.type("draft" + CTRL_X_CTRL_E)
    term.wait_for("❯ edited in the editor")
    term.type(", then more")
    term.wait_for("❯ edited in the editor, then more")
    term.key("enter")
    term.wait_for("You said: edited in the editor, then more")
    assert fake_server.user_messages() == ["edited in the editor, then more"]


def test_daily_repl_slash_edit_unchanged_or_empty_cancels_changed_is_a_new_branch(
    spawn: Spawn, fake_server: FakeServer, editor: tuple[str, Path]
) -> None:
    command, following = editor
    term = spawn("-m", "llama3.2", env={"EDITOR": command})
    ready(term)
    term.line("original question")
    term.wait_for("You said: original question")

    term.line("/edit")
    term.wait_for("Unchanged; nothing sent.")
    following.write_text("\n")
    term.line("/edit")
    term.wait_for("Empty; nothing sent.")
    assert len(fake_server.chat_requests()) == 1

    following.write_text("a better question\n")
    term.line("/edit")
    term.wait_for("You said: a better question")
    assert fake_server.last_chat()["messages"] == [{"role": "user", "content": "a better question"}]


# --- 9.10 resume picker --------------------------------------------------------------------


def saved_conversations(fake_server: FakeServer, home: Path) -> None:
    """An older one-message conversation (its send failed), then a newer answered one."""
    lonely = termchat("--host", "http://127.0.0.1:9", "-m", "qwen3", "-p", "lonely", home=home)
    assert lonely.returncode == 1, lonely.stderr
    newest = termchat("--host", fake_server.url, "-m", "qwen3", "-p", "newest", home=home)
    assert newest.returncode == 0, newest.stderr


@pytest.mark.parametrize("cols", [40, 80, 200])
def test_daily_repl_resume_picker_enter_opens_the_newest(
    spawn: Spawn, fake_server: FakeServer, tmp_path: Path, cols: int
) -> None:
    saved_conversations(fake_server, tmp_path)
    term = spawn("--resume", cols=cols)
    term.wait_for("lonely")
    newest, lonely = picker_rows(term, RESUME)
    assert newest.startswith("❯ ") and lonely.startswith("  ")  # the newest is chosen
    assert re.match(r"❯ [A-Z][a-z]{2} \d\d ", newest)  # the date (and time, when there is room)
    assert "newest" in newest and "qwen3" in newest and newest.endswith(" 2 msgs")
    assert "lonely" in lonely and "qwen3" in lonely and lonely.endswith(" 1 msg")
    term.key("enter")
    term.wait_for("Resumed “newest”")
    ready(term)
    term.line("and more")
    term.wait_for("You said: and more")
    assert [m["content"] for m in fake_server.last_chat()["messages"] if m["role"] == "user"] == [
        "newest",
        "and more",
    ]


def test_daily_repl_resume_picker_escape_says_so_and_leaves_the_current_out(
    spawn: Spawn, fake_server: FakeServer, tmp_path: Path
) -> None:
    saved_conversations(fake_server, tmp_path)
    term = spawn("--resume")
    term.wait_for("lonely")
    term.type(ESCAPE)
    assert term.wait_exit() == 0
    assert "Nothing resumed." in term.transcript()

    term = spawn("-m", "qwen3")
    ready(term)
    term.line("the current one")
    term.wait_for("You said: the current one")
    term.line("/resume")
    term.wait_for("lonely")
    rows = picker_rows(term, RESUME)
    assert len(rows) == 2 and not any("the current one" in row for row in rows)
    term.type("lone")
    term.wait_for(lambda: len(picker_rows(term, RESUME)) == 1)
    assert (
        picker_rows(term, RESUME)[0].startswith("❯ ") and "lonely" in picker_rows(term, RESUME)[0]
    )
    term.type(ESCAPE)
    term.wait_for("Nothing resumed.")
    ready(term)
    term.line("still here")
    term.wait_for("You said: still here")
    assert fake_server.user_messages()[-1] == "still here"
    assert len(fake_server.last_chat()["messages"]) == 3  # the same conversation went on


# --- 9.17 long model names -----------------------------------------------------------------


def test_daily_repl_long_model_name_leaves_room_to_type(
    spawn: Spawn, fake_server: FakeServer
) -> None:
    fake_server.add_model(LONG_MODEL, ["completion"], 32768, "qwen3moe", "30.5B")
    term = spawn("-m", LONG_MODEL, cols=60)
    ready(term)
    typed = "thirty characters of question"
    term.type(typed)
    term.wait_for(lambda: any(line.endswith(typed) for line in term.display().splitlines()))
    row = next(line for line in term.display().splitlines() if line.endswith(typed))
    label = row[: -len(typed)]
    assert label.endswith(" ❯ ") and len(label) <= 24, label
    assert label.startswith("Qwen3-30B")
    assert LONG_MODEL in toolbar(term)  # the toolbar has the full name


# --- 9.18 large pastes ---------------------------------------------------------------------


def test_daily_repl_large_paste_is_one_line_and_sent_whole(
    spawn: Spawn, fake_server: FakeServer
) -> None:
    lines = [f"log line {n:03d}: something happened" for n in range(1, 301)]
    term = spawn("-m", "llama3.2")
    ready(term)
    fake_server.queue_reply(content="Got the log.")
    term.type("Summarise: \x1b[200~" + "\r".join(lines) + "\x1b[201~")
    term.wait_for("❯ Summarise: [pasted 300 lines]")
    term.key("enter")
    term.wait_for("Got the log.")
    assert fake_server.user_messages() == ["Summarise: " + "\n".join(lines)]
    assert "log line 150" not in term.transcript()

    fake_server.queue_reply(content="Short one.")
    term.type("\x1b[200~one\rtwo\x1b[201~")  # a small paste is shown as it is
    term.wait_for(lambda: "two" in term.display())
    term.key("enter")
    term.wait_for("Short one.")
    assert fake_server.user_messages()[-1] == "one\ntwo"


# --- 9.22 toolbar --------------------------------------------------------------------------


KEYS = "^T hide thinking  ^D quit  /help"


@pytest.mark.parametrize(
    ("cols", "expected"),
    [
        pytest.param(40, "qwen3 │ thinking: auto, shown │ /help", id="40"),
        pytest.param(80, f"qwen3 │ thinking: auto, shown │ ctx –/41k │ {KEYS}", id="80"),
        pytest.param(200, f"qwen3 │ thinking: auto, shown │ ctx –/41k │ {KEYS}", id="200"),
    ],
)
def test_daily_repl_toolbar_fits_the_width_in_whole_parts(
    spawn: Spawn, cols: int, expected: str
) -> None:
    """Once the model's window is known (`/api/show`, asked in the background) the toolbar
    shows it where there is room; the test waits for that toolbar (the one drawn before the
    answer matched only while the answer came after the first drawing: on a fast machine it
    often did not)."""
    term = spawn("-m", "qwen3", cols=cols)
    ready(term)
    term.wait_for(lambda: toolbar(term) == expected, timeout=5)


def test_daily_repl_toolbar_says_each_thing_once_and_only_true_keys(spawn: Spawn) -> None:
    term = spawn("-m", "qwen3", "--no-save", host="http://127.0.0.1:9", cols=40)
    ready(term)
    term.wait_for(lambda: "server unreachable" in toolbar(term))
    assert toolbar(term) == "qwen3 │ server unreachable │ not saved"

    term = spawn("-m", "gemma3", cols=200)
    ready(term)
    term.wait_for(lambda: "thinking: n/a" in toolbar(term))
    text = toolbar(term)
    assert "^T" not in text and "^C" not in text and text.count("gemma3") == 1


# --- 9.23 approval and /help ---------------------------------------------------------------


def test_daily_repl_approval_is_echoed_and_enter_alone_denies(
    spawn: Spawn, fake_server: FakeServer
) -> None:
    term = spawn("-m", "qwen3", "--tools-file", TOOLS_FILE)
    ready(term)
    term.line('call shout {"text": "one"}')
    term.wait_for(ASK)
    term.type("y")
    term.wait_for("The tool returned: ONE")
    assert "(Enter: no) → yes" in term.transcript()

    term.line('call shout {"text": "two"}')
    term.wait_for(lambda: term.transcript().count(ASK) == 2)
    term.key("enter")
    term.wait_for(lambda: len(fake_server.chat_requests()) == 4)
    assert "denied" in fake_server.last_chat()["messages"][-1]["content"]
    assert "(Enter: no) → no" in term.transcript()
    assert "Reason for the model" not in term.transcript()


def test_daily_repl_help_fits_a_35_row_terminal(spawn: Spawn) -> None:
    term = spawn("-m", "qwen3", rows=35, cols=80)
    ready(term)
    term.line("/help")
    term.wait_for("/help keys")
    screen = term.display()
    assert "qwen3 ❯ /help" in screen  # the whole answer is on one screen with its question
    # every command is named, by group, however many there are
    from termchat.commands import COMMANDS

    for command in COMMANDS.commands:
        assert f"/{command.name}" in screen, command.name
    assert "conversation" in screen and "model" in screen
    term.line("/help all")
    term.wait_for("Regenerate the last reply")  # each with what it does
    term.line("/help keys")
    term.wait_for("Ctrl-R")
    assert "qwen3 ❯ /help keys" in term.display()
    term.line("/help resume")
    term.wait_for("/resume [ID]")
    term.line("/help nosuch")
    term.wait_for("Usage: /help")
