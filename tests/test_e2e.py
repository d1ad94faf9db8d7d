"""End to end: the installed termchat in a real pseudo-terminal against the fake server."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fakeserver import FakeServer
from terminal import Terminal

Spawn = Callable[..., Terminal]

THINKING = (
    "The user asks for the meaning of life. Douglas Adams said forty-two. "
    "I should keep it short and mention the book."
)


@pytest.fixture
def spawn(fake_server: FakeServer, tmp_path: Path, terminals: list[Terminal]) -> Spawn:
    def start(*args: str, host: str | None = None, rows: int = 30, cols: int = 100) -> Terminal:
        term = Terminal(
            ["--host", host or fake_server.url, *args], home=tmp_path, rows=rows, cols=cols
        )
        terminals.append(term)
        return term

    return start


def ready(term: Terminal, model: str = "qwen3") -> None:
    term.wait_for(f"{model} ❯")
    term.wait_for("^D quit")


def test_e2e_question_answered_with_thinking_then_answer(
    spawn: Spawn, fake_server: FakeServer
) -> None:
    fake_server.queue_reply(thinking=THINKING, content="The answer is **42**.\n\n- short\n- sweet")
    term = spawn("-m", "qwen3")
    ready(term)
    term.line("What is the meaning of life?")
    term.wait_for("tok/s")
    text = term.transcript()
    assert "▾ Thinking" in text
    assert "┃ The user asks for the meaning of life." in text
    assert "The answer is 42." in text  # bold rendered, asterisks gone
    assert "• short" in text
    assert text.index("▾ Thinking") < text.index("The answer is 42.")
    sent = fake_server.last_chat()
    assert sent["messages"] == [{"role": "user", "content": "What is the meaning of life?"}]
    assert sent["stream"] is True
    assert "think" not in sent  # a thinking model thinks by default: nothing to send

    # The next request carries the reply back: one assistant message with thinking + content.
    fake_server.queue_reply(content="Sure.")
    term.line("Thanks!")
    term.wait_for("Sure.")
    history = fake_server.last_chat()["messages"]
    assert history[1] == {
        "role": "assistant",
        "content": "The answer is **42**.\n\n- short\n- sweet",
        "thinking": THINKING,
    }
    assert history[2] == {"role": "user", "content": "Thanks!"}


def test_e2e_ctrl_t_mid_stream_collapses_then_expands(
    spawn: Spawn, fake_server: FakeServer
) -> None:
    fake_server.queue_reply(thinking=THINKING, content="Forty-two.", hold_after=6)
    term = spawn("-m", "qwen3")
    ready(term)
    term.line("Meaning of life?")
    assert fake_server.holding.wait(10)
    term.wait_for("┃ The user asks")
    term.key("ctrl-t")
    term.wait_for("Thinking…")
    fake_server.release()
    term.wait_for("Forty-two.")
    term.wait_for("Thought for")
    term.wait_for("^T show thinking")  # the toolbar, back at the prompt
    assert "(/thinking 1 to show)" in term.transcript()
    # Collapsed while it streamed: none of the reasoning is left in the scrollback.
    assert "mention the book" not in term.transcript()
    # Collapsed now; the next reply starts collapsed, and Ctrl-T at the prompt expands again.
    term.key("ctrl-t")
    term.wait_for("^T hide thinking")


def test_e2e_hide_thinking_flag_starts_collapsed(spawn: Spawn, fake_server: FakeServer) -> None:
    fake_server.queue_reply(thinking=THINKING, content="Forty-two.")
    term = spawn("-m", "qwen3", "--hide-thinking")
    ready(term)
    term.line("Meaning of life?")
    term.wait_for("Forty-two.")
    term.wait_for("Thought for")
    assert "Douglas Adams" not in term.transcript()
    term.line("/thinking")
    term.wait_for("Douglas Adams")


def test_e2e_ctrl_c_mid_stream_keeps_partial_then_next_question(
    spawn: Spawn, fake_server: FakeServer
) -> None:
    fake_server.queue_reply(content="Counting: one two three four five six", hold_after=3)
    term = spawn("-m", "llama3.2")
    ready(term, "llama3.2")
    term.line("Count for me")
    assert fake_server.holding.wait(10)
    term.wait_for("Counting:")
    term.key("ctrl-c")
    term.wait_for("[interrupted]")
    assert fake_server.wait_for_disconnect(10), "Ctrl-C must close the HTTP response"
    term.wait_for(re.compile(r"\[interrupted\][\s\S]*llama3\.2 ❯"))
    fake_server.queue_reply(content="Fine.")
    term.line("Never mind")
    term.wait_for("Fine.")
    history = fake_server.last_chat()["messages"]
    assert history[0]["content"] == "Count for me"
    assert history[1]["role"] == "assistant"
    assert history[1]["content"].startswith("Counting:")
    assert "six" not in history[1]["content"]
    assert history[2] == {"role": "user", "content": "Never mind"}


def test_e2e_think_off_is_sent_and_nothing_is_shown(spawn: Spawn, fake_server: FakeServer) -> None:
    term = spawn("-m", "qwen3")
    ready(term)
    term.line("/think off")
    term.wait_for("Thinking: off")
    term.wait_for("thinking: off")  # the toolbar
    term.line("hi")
    term.wait_for("You said: hi")
    assert fake_server.last_chat()["think"] is False
    assert "▾ Thinking" not in term.transcript()


def test_e2e_model_without_thinking_never_gets_think(spawn: Spawn, fake_server: FakeServer) -> None:
    term = spawn("-m", "gemma3", "--think")
    ready(term, "gemma3")
    term.line("hello")
    term.wait_for("You said: hello")
    assert "think" not in fake_server.last_chat()
    assert "400" not in term.transcript()


def test_e2e_ctrl_d_exits_zero(spawn: Spawn) -> None:
    term = spawn("-m", "qwen3")
    ready(term)
    term.key("ctrl-d")
    assert term.wait_exit() == 0


def test_e2e_unknown_command_is_not_sent(spawn: Spawn, fake_server: FakeServer) -> None:
    term = spawn("-m", "qwen3")
    ready(term)
    term.line("/modle qwen3")
    term.wait_for("Did you mean /model?")
    assert fake_server.chat_requests() == []


def test_e2e_unreachable_server_keeps_the_repl_and_the_message(spawn: Spawn) -> None:
    term = spawn("-m", "qwen3", host="http://127.0.0.1:9")
    ready(term)
    term.line("hello?")
    term.wait_for('Cannot reach Ollama at http://127.0.0.1:9 — is "ollama serve" running?')
    term.wait_for("/retry sends it again")
    term.line("/help retry")  # the REPL still answers
    term.wait_for("Regenerate the last reply")
    term.key("ctrl-d")
    assert term.wait_exit() == 0


def test_e2e_multiline_with_alt_enter_and_fence(spawn: Spawn, fake_server: FakeServer) -> None:
    term = spawn("-m", "llama3.2")
    ready(term, "llama3.2")
    term.type("first line")
    term.key("alt-enter")
    term.type("second line")
    term.key("enter")
    term.wait_for(lambda: len(fake_server.chat_requests()) == 1)
    assert fake_server.last_chat()["messages"][-1]["content"] == "first line\nsecond line"
    term.wait_for("You said: first line")
    term.line('"""')
    term.line("alpha")
    term.line('beta"""')
    term.wait_for(lambda: len(fake_server.chat_requests()) == 2)
    assert fake_server.last_chat()["messages"][-1]["content"] == "alpha\nbeta"


TOOLS_FILE = str(Path(__file__).parent / "data" / "sample_tools.py")
ASK = "Run shout? [y] yes"


def tool_results(fake_server: FakeServer) -> list[dict[str, object]]:
    return [m for m in fake_server.last_chat()["messages"] if m["role"] == "tool"]


def test_e2e_tool_approved_once_runs_and_result_goes_back(
    spawn: Spawn, fake_server: FakeServer
) -> None:
    term = spawn("-m", "qwen3", "--tools-file", TOOLS_FILE)
    ready(term)
    term.line('call shout {"text": "hello"}')
    term.wait_for(ASK)
    term.type("y")
    term.wait_for("The tool returned: HELLO")
    first, second = fake_server.chat_requests()[-2:]
    assert first["tools"][0]["function"]["name"] == "shout"
    assistant = second["messages"][1]
    assert assistant["role"] == "assistant"
    assert assistant["tool_calls"][0]["function"] == {
        "name": "shout",
        "arguments": {"text": "hello"},
        "index": 0,
    }
    assert "thinking" in assistant  # reasoning goes back with the call
    assert tool_results(fake_server) == [{"role": "tool", "content": "HELLO", "tool_name": "shout"}]


def test_e2e_tool_always_skips_the_second_question(spawn: Spawn, fake_server: FakeServer) -> None:
    term = spawn("-m", "qwen3", "--tools-file", TOOLS_FILE)
    ready(term)
    term.line('call shout {"text": "one"}')
    term.wait_for(ASK)
    term.type("a")
    term.wait_for("The tool returned: ONE")
    term.line('call shout {"text": "two"}')
    term.wait_for("The tool returned: TWO")
    assert term.transcript().count(ASK) == 1


def test_e2e_tool_denied_with_reason(spawn: Spawn, fake_server: FakeServer) -> None:
    term = spawn("-m", "qwen3", "--tools-file", TOOLS_FILE)
    ready(term)
    term.line('call shout {"text": "secret"}')
    term.wait_for(ASK)
    term.type("n")
    term.wait_for("Reason for the model")
    term.line("too loud")
    term.wait_for(lambda: len(fake_server.chat_requests()) == 2)
    (result,) = tool_results(fake_server)
    assert "denied" in str(result["content"]) and "too loud" in str(result["content"])
    assert "SECRET" not in term.transcript()


def test_e2e_tool_enter_alone_denies(spawn: Spawn, fake_server: FakeServer) -> None:
    term = spawn("-m", "qwen3", "--tools-file", TOOLS_FILE)
    ready(term)
    term.line('call shout {"text": "quiet"}')
    term.wait_for(ASK)
    term.key("enter")  # denies at once: only n asks for a reason
    term.wait_for(lambda: len(fake_server.chat_requests()) == 2)
    assert "denied" in str(tool_results(fake_server)[0]["content"])


def test_e2e_tool_edit_arguments(spawn: Spawn, fake_server: FakeServer) -> None:
    term = spawn("-m", "qwen3", "--tools-file", TOOLS_FILE)
    ready(term)
    term.line('call shout {"text": "abc"}')
    term.wait_for(ASK)
    term.type("e")
    term.wait_for("Arguments (JSON):")
    term.type("\x15")  # Ctrl-U: clear the line
    term.line('{"text": "edited"}')
    term.wait_for(lambda: len(fake_server.chat_requests()) == 2)
    assert tool_results(fake_server)[0]["content"] == (
        '(The user edited the arguments to {"text": "edited"}.)\nEDITED'
    )


def test_e2e_resume_shows_history_and_sends_it_back(spawn: Spawn, fake_server: FakeServer) -> None:
    term = spawn("-m", "qwen3", "--tools-file", TOOLS_FILE)
    ready(term)
    term.line('call shout {"text": "saved"}')
    term.wait_for(ASK)
    term.type("y")
    term.wait_for("The tool returned: SAVED")
    term.line("/system Be brief.")
    term.wait_for("System prompt set.")
    term.key("ctrl-d")
    assert term.wait_exit() == 0
    before = fake_server.last_chat()["messages"]

    again = spawn("--continue", "--tools-file", TOOLS_FILE)
    ready(again)
    again.wait_for("Resumed")
    text = again.transcript()
    assert 'call shout {"text": "saved"}' in text  # the user's message is shown again
    assert "Thought" in text  # a collapsed one-line reasoning summary
    assert "The tool returned: SAVED" in text
    again.line("and now?")
    again.wait_for("You said: and now?")
    sent = fake_server.last_chat()
    assert sent["model"] == "qwen3"  # restored from the session
    assert sent["messages"][0] == {"role": "system", "content": "Be brief."}
    final = {"role": "assistant", "content": "The tool returned: SAVED"}
    assert sent["messages"][1:] == [*before, final, {"role": "user", "content": "and now?"}]
    assert before[1]["thinking"] and before[1]["tool_calls"]  # reasoning and calls intact
    assert before[2]["role"] == "tool" and before[2]["tool_name"] == "shout"


def test_e2e_typing_while_streaming_is_kept(spawn: Spawn, fake_server: FakeServer) -> None:
    fake_server.queue_reply(content="A slow answer.", hold_after=2)
    term = spawn("-m", "llama3.2")
    ready(term, "llama3.2")
    term.line("first")
    assert fake_server.holding.wait(10)
    term.type("/think off\rnext quest")
    fake_server.release()
    term.wait_for("A slow answer.")
    term.wait_for("llama3.2 ❯ /think off")  # echoed as if typed at the prompt
    term.wait_for("Thinking: off")  # the typed-ahead command ran
    term.wait_for("llama3.2 ❯ next quest")  # the unfinished line waits at the prompt
    term.line("ion")
    term.wait_for("You said: next question")


def test_e2e_resume_picker_filters_as_you_type(spawn: Spawn, fake_server: FakeServer) -> None:
    first = spawn("-m", "llama3.2")
    ready(first, "llama3.2")
    first.line("tell me about zebras")
    first.wait_for("You said: tell me about zebras")
    first.line("/new")
    first.wait_for("New conversation")
    first.line("and now giraffes")
    first.wait_for("You said: and now giraffes")
    first.key("ctrl-d")
    assert first.wait_exit() == 0

    picker = spawn("--resume")
    picker.wait_for("Resume (type to filter")
    picker.wait_for("and now giraffes")  # the menu lists recent conversations
    picker.type("zebr")
    picker.wait_for(lambda: "and now giraffes" not in picker.display())  # filtered
    picker.key("enter")
    picker.wait_for("Resumed “tell me about zebras”")
    ready(picker, "llama3.2")
    picker.line("more")
    picker.wait_for("You said: more")
    contents = [m["content"] for m in fake_server.last_chat()["messages"]]
    assert contents[0] == "tell me about zebras" and contents[-1] == "more"
    assert "and now giraffes" not in contents


def test_e2e_history_file_private_and_not_written_without_saving(
    spawn: Spawn, tmp_path: Path
) -> None:
    term = spawn("-m", "llama3.2", "--no-save")
    ready(term, "llama3.2")
    term.line("my secret question")
    term.wait_for("You said: my secret question")
    term.key("ctrl-d")
    assert term.wait_exit() == 0
    history = tmp_path / "history"
    assert not history.exists() or "secret" not in history.read_text()

    saved = spawn("-m", "llama3.2")
    ready(saved, "llama3.2")
    saved.line("an ordinary question")
    saved.wait_for("You said: an ordinary question")
    saved.line("/incognito")
    saved.wait_for("Incognito")
    saved.line("a private one")
    saved.wait_for("You said: a private one")
    saved.key("ctrl-d")
    assert saved.wait_exit() == 0
    text = history.read_text()
    assert "an ordinary question" in text and "a private one" not in text
    assert history.stat().st_mode & 0o777 == 0o600


def panel_lines(text: str, title: str) -> list[str]:
    """The rows of the first panel whose top border carries `title`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("╭") and title in line)
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("╰"))
    return lines[start : end + 1]


def test_e2e_long_tool_result_shortened_once_live_and_on_resume(
    spawn: Spawn, fake_server: FakeServer
) -> None:
    term = spawn("-m", "qwen3", "--tool", "run_shell")
    ready(term)
    term.line('call run_shell {"command": "seq 1 100"}')
    term.wait_for("Run run_shell? [y] yes")
    assert "Run run_shell? [y] yes  [n] no" in term.display()  # no "always" for run_shell
    term.type("y")
    term.wait_for("The tool returned: exit status: 0")
    ready(term)
    live = panel_lines(term.transcript(), "↳ run_shell")
    assert live[-1].startswith("╰─ … 81 more lines")  # exit status + 100 numbers, 20 shown
    assert "│ 19" in live[-2] and "shortened" not in live[-1]
    assert len(tool_results(fake_server)[0]["content"].splitlines()) == 101  # type: ignore[union-attr]
    term.key("ctrl-d")
    assert term.wait_exit() == 0

    again = spawn("--continue", "--tool", "run_shell")
    again.wait_for("Resumed")
    ready(again)
    assert panel_lines(again.transcript(), "↳ run_shell") == live


def test_e2e_tools_table_shows_an_always_answer(spawn: Spawn, fake_server: FakeServer) -> None:
    term = spawn("-m", "qwen3", "--tools-file", TOOLS_FILE)
    ready(term)
    term.line("/tools")
    term.wait_for(re.compile(r"shout +sample_tools\.py +ask "))
    term.line('call shout {"text": "one"}')
    term.wait_for(ASK)
    term.type("a")
    term.wait_for("The tool returned: ONE")
    term.line("/tools")
    term.wait_for(re.compile(r"shout +sample_tools\.py +allow \(always"))


def toolbar(term: Terminal) -> str:
    """The bottom toolbar's line on the visible screen ("" when it is not drawn)."""
    lines = [line for line in term.display().splitlines() if "^D quit" in line]
    return lines[-1] if lines else ""


def test_e2e_incognito_new_resume_tell_the_truth_about_saving(
    spawn: Spawn, fake_server: FakeServer, tmp_path: Path
) -> None:
    term = spawn("-m", "llama3.2")
    ready(term, "llama3.2")
    term.line("remember the zebras")
    term.wait_for("You said: remember the zebras")
    term.line("/new")
    term.wait_for("New conversation. The previous one stays saved.")
    assert "not saved" not in toolbar(term)

    term.line("/incognito")
    term.wait_for("Incognito: nothing more is written.")
    term.wait_for(lambda: "not saved" in toolbar(term))
    term.line("a private thing")
    term.wait_for("You said: a private thing")
    term.line("/new")
    term.wait_for("New conversation. The previous one was not saved.")
    text = term.transcript()
    tail = text[text.rindex("New conversation.") :]
    assert "This conversation is not being saved (incognito)." in " ".join(tail.split())
    assert "stays saved" not in tail
    ready(term, "llama3.2")
    assert "not saved" in toolbar(term)  # incognito carries into the new chat, and says so

    term.line("/incognito")
    term.wait_for("Saving is on: this conversation will be saved.")
    term.wait_for(lambda: "^D quit" in toolbar(term) and "not saved" not in toolbar(term))
    term.line("a saved thing")
    term.wait_for("You said: a saved thing")

    term.line("/incognito")  # off again; /resume still opens a saved conversation
    term.wait_for(lambda: term.transcript().count("Incognito: nothing more is written.") == 2)
    term.wait_for(lambda: "not saved" in toolbar(term))
    term.line("/new")  # the picker leaves out the conversation that is open
    term.wait_for(lambda: term.transcript().count("New conversation.") == 3)
    term.line("/resume")
    term.wait_for("Resume (type to filter")
    saved_row = re.compile(r"a saved thing +llama3\.2 +2 msgs")
    term.wait_for(saved_row)  # the menu lists the saved conversations
    term.type("zebr")
    term.wait_for(lambda: saved_row.search(term.display()) is None)  # filtered
    term.key("enter")
    term.wait_for("Resumed “remember the zebras”")
    ready(term, "llama3.2")
    assert "This conversation is not being saved (incognito)." in term.transcript()
    assert "not saved" in toolbar(term)
    term.line("one more")
    term.wait_for("You said: one more")
    contents = [m["content"] for m in fake_server.last_chat()["messages"]]
    assert contents[0] == "remember the zebras" and contents[-1] == "one more"
    assert not any("private" in c or "saved thing" in c for c in contents)
    term.key("ctrl-d")
    assert term.wait_exit() == 0

    from termchat.store import SessionStore

    with SessionStore.open(tmp_path / "sessions.db") as store:
        saved = {
            s.title: [r.message.content for r in store.load_rows(s.id)]
            for s in store.list_sessions()
        }
    assert saved["remember the zebras"][0] == "remember the zebras"
    assert len(saved["remember the zebras"]) == 2  # "one more" was said while not saving
    assert saved["a saved thing"][0] == "a saved thing"
    assert not any("private" in c for texts in saved.values() for c in texts)


def test_e2e_undone_exchange_stays_gone_after_retry_and_alt(
    spawn: Spawn, fake_server: FakeServer
) -> None:
    term = spawn("-m", "llama3.2")
    ready(term, "llama3.2")
    fake_server.queue_reply(content="Answer one.")
    term.line("first question")
    term.wait_for("Answer one.")
    fake_server.queue_reply(content="Answer two.")
    term.line("second question")
    term.wait_for("Answer two.")
    term.line("/undo")
    term.wait_for("Dropped the last exchange ('second question').")
    fake_server.queue_reply(content="Answer one again.")
    term.line("/retry")
    term.wait_for("Answer one again.")
    retried = fake_server.last_chat()["messages"]
    assert retried == [{"role": "user", "content": "first question"}]
    term.line("/alt")
    term.wait_for("Alternative 1 of 2:")
    ready(term, "llama3.2")
    text = term.transcript()
    after = text[text.rindex("Alternative 1 of 2:") :]
    assert "Answer one." in after
    assert "second question" not in after and "Answer two." not in after
    term.line("third question")
    term.wait_for("You said: third question")
    assert fake_server.last_chat()["messages"] == [
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "Answer one."},
        {"role": "user", "content": "third question"},
    ]


def test_e2e_no_erase_starts_at_the_top_left_cell(spawn: Spawn, fake_server: FakeServer) -> None:
    """tmux (`scroll-on-clear`, on by default) takes an erase-below from the top-left cell for
    a cleared screen and pushes the screen into its history: the first prompt, drawn on a new
    terminal's top row, showed twice there once Enter was pressed."""
    fake_server.queue_reply(content="\n\n".join(f"Paragraph {n}." for n in range(60)))
    term = spawn("-m", "qwen3", rows=12)
    at_home: list[int] = []
    erase = term.screen.erase_in_display

    def watched(how: int = 0, *args: object, **kwargs: object) -> None:
        cursor = term.screen.cursor
        if how == 0 and (cursor.x, cursor.y) == (0, 0):
            at_home.append(len(term.raw))
        erase(how, *args, **kwargs)  # type: ignore[arg-type]

    term.screen.erase_in_display = watched  # type: ignore[method-assign]
    term.stream.detach(term.screen)  # pyte binds the handlers when a screen is attached
    term.stream.attach(term.screen)
    ready(term)
    assert term.screen.cursor.y == 0  # the prompt is on the top row
    term.line("Tell me a long story.")
    term.wait_for("tok/s")
    assert "Paragraph 59." in term.transcript()
    assert at_home == []
