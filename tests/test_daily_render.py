"""A day of demanding use (issue 9), the drawing part: each test drives the installed program in
a real pseudo-terminal, as the user did, and looks at the screen or at the raw bytes it wrote."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from fakeserver import FakeServer
from terminal import Terminal

Spawn = Callable[..., Terminal]

THINKING_LINES = [f"Step {n}: weigh option {n} against the others." for n in range(1, 13)]
THINKING = "\n".join(THINKING_LINES)
CODE_ANSWER = "Use `x` like this:\n\n```python\nx = 1  # one\n\ny = x + 1\n```\n\nThat is all."

# SGR parameters that set a colour: 30-37, 38;…, 40-47, 48;…, 90-97, 100-107.
_SGR = re.compile(rb"\x1b\[([0-9;:]*)m")
_SYNC = re.compile(rb"\x1b\[\?2026h(.*?)\x1b\[\?2026l", re.S)
_TRAILING_SPACES = re.compile(rb" +(?:\x1b\[[0-9;]*m)*\r?\n")


def colour_codes(raw: bytes) -> list[str]:
    """Every SGR sequence in `raw` that sets a foreground or background colour."""
    found = []
    for match in _SGR.finditer(raw):
        params = [int(p) if p.isdigit() else -1 for p in re.split(rb"[;:]", match.group(1))]
        index = 0
        while index < len(params):
            code = params[index]
            if code in (38, 48) or 30 <= code <= 37 or 40 <= code <= 47:
                found.append(match.group(1).decode())
                break
            if 90 <= code <= 97 or 100 <= code <= 107:
                found.append(match.group(1).decode())
                break
            index += 1
    return found


def frames(raw: bytes) -> bytes:
    """What the reply drew: the bytes of its synchronized-update frames."""
    return b"".join(_SYNC.findall(raw))


# --- 9.5 NO_COLOR ----------------------------------------------------------------------------


def test_daily_no_color_means_no_colour_at_all(spawn: Spawn, fake_server: FakeServer) -> None:
    fake_server.queue_reply(thinking="Let me think.\nA code block helps.", content=CODE_ANSWER)
    fake_server.queue_reply(thinking="Collapsed this time.", content="Plain answer.")
    term = spawn("-m", "qwen3", env={"NO_COLOR": "1"})
    term.line("show me code")
    term.wait_for("That is all.")
    term.wait_for("tok/s")
    term.key("ctrl-t")
    term.line("again")
    term.wait_for("Plain answer.")
    term.wait_for(lambda: term.transcript().count("tok/s") == 2)
    term.line("/stats")
    term.wait_for("answer speed")
    assert "▾ Thinking" in term.transcript() and "┃ Let me think." in term.transcript()
    assert colour_codes(bytes(term.raw)) == []
    # Styles that are not colours stay: the reasoning is italic, the footer dim.
    assert re.search(rb"\x1b\[(?:[0-9;]*;)?3(?:;[0-9;]*)?mLet me think", bytes(term.raw))


def test_daily_colours_stay_without_no_color(spawn: Spawn, fake_server: FakeServer) -> None:
    fake_server.queue_reply(thinking="Let me think.", content=CODE_ANSWER)
    term = spawn("-m", "qwen3")
    term.line("show me code")
    term.wait_for("tok/s")
    assert colour_codes(bytes(term.raw))  # the check above can fail


# --- 9.7 Ctrl-T while the reasoning streams ---------------------------------------------------


def test_daily_ctrl_t_collapses_streaming_thinking_fully(
    spawn: Spawn, fake_server: FakeServer
) -> None:
    fake_server.queue_reply(thinking=THINKING, content="Decided.", hold_after=40)
    term = spawn("-m", "qwen3")
    term.line("decide")
    assert fake_server.holding.wait(10)
    term.wait_for("┃ Step 3:")
    term.key("ctrl-t")
    term.wait_for("Thinking…")
    fake_server.release()
    term.wait_for("Decided.")
    term.wait_for("tok/s")
    text = term.transcript()
    assert "▸ Thought for" in text
    assert "▾ Thinking" not in text
    assert "┃" not in text  # no reasoning row was left behind in the scrollback


def test_daily_expanded_thinking_taller_than_the_terminal_ends_whole_and_once(
    spawn: Spawn, fake_server: FakeServer
) -> None:
    many = "\n".join(f"Thought number {n} of forty." for n in range(1, 41))
    fake_server.queue_reply(thinking=many, content="Done thinking.", hold_after=200)
    term = spawn("-m", "qwen3", rows=16, cols=80)
    term.line("think a lot")
    assert fake_server.holding.wait(10)
    term.wait_for("┃ Thought number 30 of")
    # While it streams, the live part never outgrows the screen: the prompt line is still on it.
    assert "qwen3 ❯ think a lot" in term.transcript()
    fake_server.release()
    term.wait_for("Done thinking.")
    term.wait_for("tok/s")
    text = term.transcript()
    for n in range(1, 41):
        assert text.count(f"┃ Thought number {n} of forty.") == 1, n
    assert text.count("▾ Thinking") == 1
    assert text.index("Thought number 40") < text.index("Done thinking.")


# --- 9.8 hints that say what will happen, reply numbers ---------------------------------------


def test_daily_collapsed_hint_names_the_reply_and_footers_number_replies(
    spawn: Spawn, fake_server: FakeServer
) -> None:
    fake_server.queue_reply(thinking="First reasoning.", content="One.")
    fake_server.queue_reply(thinking="Second reasoning.", content="Two.")
    term = spawn("-m", "qwen3", "--hide-thinking")
    term.line("first")
    term.wait_for(re.compile(r"#1 · qwen3 · .*tok/s"))
    term.line("second")
    term.wait_for(re.compile(r"#2 · qwen3 · .*tok/s"))
    text = term.transcript()
    assert "(/thinking 1 to show)" in text and "(/thinking 2 to show)" in text
    assert "^T to show" not in text
    term.line("/thinking 1")
    term.wait_for("┃ First reasoning.")


def test_daily_ctrl_t_while_the_answer_streams_says_what_it_changes(
    spawn: Spawn, fake_server: FakeServer
) -> None:
    fake_server.queue_reply(
        thinking="Short reasoning.", content="An answer that takes a while to come.", hold_after=4
    )
    term = spawn("-m", "qwen3", "--hide-thinking")
    term.line("go")
    assert fake_server.holding.wait(10)
    term.wait_for("▸ Thought for")
    term.key("ctrl-t")
    term.wait_for("shown from the next reply")
    assert "/thinking 1 shows this one" in term.display()
    fake_server.release()
    term.wait_for("tok/s")
    term.wait_for(lambda: "from the next reply" not in term.display())  # it was a live note


# --- 9.12 one counting rule -------------------------------------------------------------------


def _count(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not in:\n{text}"
    return found.group(1)


def test_daily_thinking_tokens_agree_live_and_on_resume(
    spawn: Spawn, fake_server: FakeServer
) -> None:
    fake_server.queue_reply(thinking=THINKING, content="Counted.")
    term = spawn("-m", "qwen3", "--hide-thinking")
    term.line("count")
    term.wait_for("tok/s")
    live = _count(r"▸ Thought for [0-9.]+ s · (~\d+) tokens", term.transcript())
    term.key("ctrl-d")
    assert term.wait_exit() == 0
    again = spawn("--continue")
    again.wait_for("Counted.")
    assert _count(r"▸ Thought · (~\d+) tokens", again.transcript()) == live


def test_daily_tag_reasoning_and_a_server_without_usage_get_counted_estimates(
    spawn: Spawn, fake_server: FakeServer
) -> None:
    fake_server.queue_reply(
        thinking="Tagged reasoning in the content.",
        content="Tagged answer here.",
        reasoning_field="think_tags",
        usage="none",
    )
    term = spawn(
        "--backend", "openai", "--host", fake_server.openai_url, "-m", "qwen3", "--hide-thinking"
    )
    term.line("tags")
    term.wait_for("Tagged answer here.")
    term.wait_for("tok/s")
    text = term.transcript()
    thinking = int(_count(r"▸ Thought for [0-9.]+ s · ~(\d+) tokens", text))
    assert thinking > 0
    total = int(_count(r"#1 · qwen3 · ~(\d+) tokens · ~[0-9.]+ tok/s", text))
    assert total > thinking
    term.line("/stats")
    term.wait_for("answer speed")
    assert re.search(rf"answer tokens +~{total}\b", term.transcript())
    assert re.search(rf"reasoning tokens +~{thinking}\b", term.transcript())


def test_daily_server_counts_are_shown_without_a_tilde(
    spawn: Spawn, fake_server: FakeServer
) -> None:
    fake_server.queue_reply(
        thinking="Reasoning.", content="Exact.", stats={"eval_count": 77, "eval_duration": 10**9}
    )
    term = spawn("-m", "qwen3")
    term.line("exact")
    term.wait_for("tok/s")
    assert re.search(r"qwen3 · 77 tokens · 77\.0 tok/s", term.transcript())  # no `~`


# --- 9.21 no padding --------------------------------------------------------------------------


def test_daily_printed_lines_are_not_padded_to_the_width(
    spawn: Spawn, fake_server: FakeServer
) -> None:
    fake_server.queue_reply(
        thinking="Short.",
        content="A short line.\n\n> quoted\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n" + CODE_ANSWER,
    )
    term = spawn("-m", "qwen3")
    term.line("pad?")
    term.wait_for("That is all.")
    term.wait_for("tok/s")
    term.line("/stats")
    term.wait_for("answer speed")
    drawn = frames(bytes(term.raw))
    assert b"A short line." in drawn
    assert _TRAILING_SPACES.findall(drawn) == []
    after_stats = bytes(term.raw).split(b"/stats")[-1]
    assert _TRAILING_SPACES.findall(after_stats.split(b"answer speed")[0]) == []


# --- 9.23 code blocks, /pull, /tools ----------------------------------------------------------


def test_daily_code_block_has_one_blank_line_around_and_one_background(
    spawn: Spawn, fake_server: FakeServer
) -> None:
    fake_server.queue_reply(content="Warm up.")
    fake_server.queue_reply(content=CODE_ANSWER)
    term = spawn("-m", "llama3.2")
    term.line("first")  # by its end the background warm-up has run
    term.wait_for("tok/s")
    start = len(term.raw)
    term.line("code")
    term.wait_for("That is all.")
    term.wait_for(lambda: term.transcript().count("tok/s") == 2)
    lines = term.transcript().split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("Use x like this"))
    assert lines[at : at + 8] == [
        "Use x like this:",
        "",
        "[1]".rjust(term.cols - 1),  # the block's number (/copy code 1), at the right
        " x = 1  # one",
        "",
        " y = x + 1",
        "",
        "That is all.",
    ]
    code = bytes(term.raw[start:]).split(b"like this:")[-1].split(b"That is all")[0]
    backgrounds = set(re.findall(rb"\b48;(5;\d+|2;\d+;\d+;\d+)", code))
    assert len(backgrounds) == 1, backgrounds  # one colour, to the right edge (erase in line)
    assert b"\x1b[K" in code


def test_daily_pull_shows_a_progress_bar_with_size_and_speed(
    spawn: Spawn, fake_server: FakeServer
) -> None:
    fake_server.pull_delay = 0.3
    term = spawn("-m", "qwen3")
    term.line("/pull phi4-mini")
    term.wait_for(lambda: "━" in term.display() and "MB/s" in term.display(), timeout=20)
    assert re.search(r"\d+(\.\d+)?/\d+(\.\d+)? GB", term.display())
    term.wait_for("Pulled phi4-mini", timeout=30)
    text = term.transcript()
    assert "verifying sha256 digest" in text
    assert not re.search(r"\b(25|50|75)%", text)
    assert re.search(r"pulled [0-9a-f]{12} · \d+(\.\d+)? GB", text)


def test_daily_tools_shows_the_tools_file_by_a_short_name(
    spawn: Spawn, tmp_path: Path, fake_server: FakeServer
) -> None:
    folder = tmp_path / "projects" / "a-rather-long-folder-name" / "and-another-one-below"
    folder.mkdir(parents=True)
    tools = folder / "my_tools.py"
    tools.write_text('def shout(text: str) -> str:\n    """Shout it."""\n    return text.upper()\n')
    term = spawn("-m", "qwen3", "--tools-file", str(tools), cols=80)
    term.line("/tools")
    term.wait_for("shout")
    term.wait_for("Shout it.")
    text = term.transcript()
    assert re.search(r"shout +my_tools\.py ", text)
    assert "a-rather-long-folder-name" not in text
