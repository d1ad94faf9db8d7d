"""/search WORDS in the REPL, in a real pseudo-terminal over a real SQLite file: the picker lists
the matching conversations with snippets, and opening one resumes it at the matching turn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fakeserver import FakeServer
from terminal import Terminal, picker_rows, termchat

from termchat.commands.search import window
from termchat.messages import Message

ESCAPE = "\x1b"
SEARCH = "Search: "  # the search picker's filter line
TURNS = ["alpha one", "bravo two", "charlie three", "delta four", "echo five", "foxtrot six"]


@pytest.fixture
def term(fake_server: FakeServer, tmp_path: Path) -> Iterator[Terminal]:
    """Two saved conversations (six turns about the alphabet; one about films), then termchat
    in a pty with a fresh conversation."""
    for index, text in enumerate(TURNS):
        more = ["-c"] if index else []
        result = termchat(
            "--host", fake_server.url, "-m", "qwen3", *more, "-p", text, home=tmp_path
        )
        assert result.returncode == 0, result.stderr
    films = termchat(
        "--host", fake_server.url, "-m", "qwen3", "-p", "charlie chaplin films", home=tmp_path
    )
    assert films.returncode == 0, films.stderr
    terminal = Terminal(["--host", fake_server.url, "-m", "qwen3"], home=tmp_path)
    terminal.wait_for(lambda: "❯" in terminal.display() and "/help" in terminal.display())
    yield terminal
    terminal.close()


def test_search_lists_matches_with_snippets_and_opens_at_the_turn(
    term: Terminal, fake_server: FakeServer
) -> None:
    term.line("/search charl")  # the last word is a prefix, as when typing
    term.wait_for(lambda: "Search: charl" in term.display() and len(picker_rows(term, SEARCH)) == 2)
    rows = picker_rows(term, SEARCH)
    assert any("alpha one" in row and "you: charlie three" in row for row in rows)
    assert any("charlie chaplin films" in row for row in rows)
    term.type("ie three")  # the filter line holds the words: changing them searches again
    term.wait_for(lambda: len(picker_rows(term, SEARCH)) == 1)
    assert (
        picker_rows(term, SEARCH)[0].startswith("❯ ")
        and "charlie three" in picker_rows(term, SEARCH)[0]
    )
    term.key("enter")
    term.wait_for("▲ Found in your message: charlie three")
    term.wait_for("later messages not shown")
    opened = term.transcript().split("Resumed “alpha one”", 1)[1]
    assert "12 messages" in opened
    assert "❯ charlie three" in opened and "You said: charlie three" in opened
    assert "❯ alpha one" in opened  # the turns before it, from a question on
    assert "delta four" not in opened and "foxtrot six" not in opened  # the match stays in view
    assert "… 6 later messages not shown: what you send follows them" in opened
    found = next(row for row in term.screen.display if row.startswith("▲ Found"))
    row = term.screen.display.index(found)
    column = found.index("charlie")
    assert term.screen.buffer[row][column].bold  # the matched word is highlighted
    assert not term.screen.buffer[row][found.index("Found")].bold

    term.line("and now golf")
    term.wait_for("You said: and now golf")
    sent = [m["content"] for m in fake_server.last_chat()["messages"] if m["role"] == "user"]
    assert sent == [*TURNS, "and now golf"]  # the conversation goes on after its last turn


def test_search_no_match_cancel_and_usage(term: Terminal, fake_server: FakeServer) -> None:
    term.line("/search zeppelin")
    term.wait_for("No saved conversation matches 'zeppelin'.")
    term.line("/search chaplin")
    term.wait_for(
        lambda: "Search: chaplin" in term.display() and len(picker_rows(term, SEARCH)) == 1
    )
    term.type(ESCAPE)
    term.wait_for("Nothing opened.")
    term.line("/search")
    term.wait_for("Usage: /search WORDS (give the words to find)")
    term.line("still the new one")
    term.wait_for("You said: still the new one")
    assert len(fake_server.last_chat()["messages"]) == 1  # nothing was opened


def _conversation(roles: str) -> list[Message]:
    names = {"u": "user", "a": "assistant", "t": "tool"}
    return [Message(role=names[r], content=r) for r in roles]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("roles", "at", "expected"),
    [
        pytest.param("uauauauaua", 5, (2, 6), id="reply-after-turns"),
        pytest.param("uauauauaua", 4, (0, 6), id="question-and-its-answer"),
        pytest.param("ua", 0, (0, 2), id="first-question"),
        pytest.param("uattauatta", 8, (5, 9), id="from-a-question-through-tools"),
        pytest.param("uattta", 0, (0, 6), id="answer-with-tools"),
    ],
)
def test_search_window_starts_at_a_question(roles: str, at: int, expected: tuple[int, int]) -> None:
    assert window(_conversation(roles), at) == expected
