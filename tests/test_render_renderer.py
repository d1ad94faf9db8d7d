"""The Renderer's static pieces: messages, footer, stats, tables, tool panels, one-liners."""

from __future__ import annotations

import io
from typing import Any

import pytest

from termchat.messages import Message, Stats
from termchat.render import Renderer
from termchat.render.renderer import shorten

STATS = Stats(
    done_reason="stop",
    total_duration=2_600_000_000,
    load_duration=1_000_000,
    prompt_eval_count=12,
    prompt_eval_duration=30_000_000,
    eval_count=24,
    eval_duration=459_000_000,
)


def renderer(width: int = 80) -> Renderer:
    return Renderer(io.StringIO(), width=width, record=True, color_system=None)


def text(r: Renderer) -> str:
    return "\n".join(line.rstrip() for line in r.console.export_text().rstrip("\n").split("\n"))


@pytest.mark.parametrize(
    ("model", "stats", "elapsed", "expected"),
    [
        pytest.param("qwen3", STATS, 2.61, "qwen3 · 24 tokens · 52.3 tok/s · 2.6 s", id="all"),
        pytest.param("qwen3", None, 1.04, "qwen3 · 1.0 s", id="no-stats"),
        pytest.param("qwen3", Stats(eval_count=1), None, "qwen3 · 1 token", id="count-only"),
        pytest.param("m", Stats(total_duration=3_000_000_000), None, "m · 3.0 s", id="total"),
        pytest.param(None, None, None, "", id="nothing"),
        pytest.param(
            "m",
            Stats(done_reason="length"),
            1.0,
            "m · 1.0 s · cut off at the length limit",
            id="len",
        ),
    ],
)
def test_footer_omits_what_is_missing(
    model: str | None, stats: Stats | None, elapsed: float | None, expected: str
) -> None:
    r = renderer()
    r.footer(model, stats, elapsed)
    assert text(r) == expected


def test_stats_table_has_every_figure() -> None:
    r = renderer()
    r.stats_table("qwen3", STATS)
    out = text(r)
    for expected in ["qwen3", "stop", "2.60 s", "1.0 ms", "12", "30 ms", "400.0 tok/s", "24"]:
        assert expected in out
    assert "459 ms" in out and "52.3 tok/s" in out


def test_stats_table_with_nothing_known() -> None:
    r = renderer()
    r.stats_table(None, None)
    assert text(r).count("—") == 11


def test_assistant_message_expanded_and_collapsed() -> None:
    message = Message(
        role="assistant",
        content="17 × 23 = **391**",
        thinking="\nFirst line of reasoning.\n\nSecond.\n\n",
        model="qwen3",
        stats=STATS,
    )
    r = renderer()
    r.assistant_message(message, show_thinking=True)
    assert text(r) == (
        "▾ Thinking\n┃ First line of reasoning.\n┃\n┃ Second.\n17 × 23 = 391\n"
        "qwen3 · 24 tokens · 52.3 tok/s · 2.6 s"
    )
    r = renderer()
    r.assistant_message(message, show_thinking=False, number=4)
    assert text(r).split("\n")[0] == "▸ Thought · ~9 tokens  (/thinking 4 to show)"


def test_assistant_message_markers_and_no_thinking() -> None:
    message = Message(
        role="assistant", content="partial", model="m", interrupted=True, error="boom\x1b[2J"
    )
    r = renderer()
    r.assistant_message(message, show_thinking=True)
    assert text(r) == "partial\n[interrupted]\nboom\nm"


def test_user_message_is_literal() -> None:
    r = renderer()
    r.user_message("[bold]hi[/bold] \x1b[31m", model="qwen3")
    assert text(r) == "qwen3 ❯ [bold]hi[/bold]"


def test_one_liners_are_sanitized_single_lines() -> None:
    r = renderer()
    r.notice("two\nlines")
    r.warning("[/i] literal")
    r.error("server said \x1b]0;title\x07no")
    r.interrupted_marker()
    assert text(r) == "two lines\n[/i] literal\nserver said no\n[interrupted]"


def test_thinking_full_is_left_ruled_and_wrapped() -> None:
    r = renderer(width=20)
    r.thinking_full("one two three four five six")
    assert text(r) == "▾ Thinking\n┃ one two three four\n┃ five six"


def test_table_cells_are_untrusted_text() -> None:
    r = renderer()
    r.table("Models [x]", ["name", "size"], [["[red]qwen3[/red]\x1b[5m", 5], [None, "2 GB"]])
    out = text(r)
    assert "Models [x]" in out
    assert "[red]qwen3[/red]" in out
    assert "2 GB" in out


def test_tool_call_shows_arguments_exactly() -> None:
    r = renderer()
    r.tool_call("run_shell", {"command": "echo ok\rrm -rf ~ \u202e", "n": 3})
    out = text(r)
    assert "run_shell" in out
    assert '"command": "echo ok\\rrm -rf ~ <U+202E>"' in out
    assert '"n": 3' in out


def tool_message(content: str, **fields: Any) -> Message:
    return Message("tool", content, tool_name=fields.pop("tool_name", "ls"), **fields)


@pytest.mark.parametrize(
    ("count", "note"),
    [
        pytest.param(50, "╰─ … 30 more lines (the model gets all of it) ─", id="thirty"),
        pytest.param(21, "╰─ … 1 more line (the model gets all of it) ─", id="singular"),
        pytest.param(20, "╰───", id="none-hidden-no-note"),
    ],
)
def test_tool_result_shortened_with_the_true_count(count: int, note: str) -> None:
    r = renderer()
    r.tool_result(tool_message("\n".join(f"file{i}" for i in range(count))))
    out = text(r)
    assert "file19" in out and "file20" not in out
    assert out.splitlines()[-1].startswith(note)


def test_tool_result_error_and_long_line() -> None:
    r = renderer()
    r.tool_result(tool_message("x" * 10_000 + "\x1b[2J", tool_name="fetch", error="x"))
    out = text(r)
    assert "fetch failed" in out
    assert out.count("x") < 2100
    assert "… 8000 more characters" in out  # the escape sequence is removed, not counted


def test_tool_result_interrupted_is_the_marker() -> None:
    r = renderer()
    r.tool_result(tool_message("Error: the user interrupted the tool call.", interrupted=True))
    assert text(r) == "[interrupted]"


@pytest.mark.parametrize(
    ("text", "expected", "note"),
    [
        pytest.param("short", "short", None, id="short"),
        pytest.param("a\nb", "a\nb", None, id="exactly-two-lines"),
        pytest.param("a\nb\nc", "a\nb", "… 1 more line", id="one-more-line"),
        pytest.param("a\nb\nc\nd", "a\nb", "… 2 more lines", id="more-lines"),
        pytest.param("x" * 11, "x" * 10 + "…", "… 1 more character", id="one-character"),
        pytest.param("x" * 30, "x" * 10 + "…", "… 20 more characters", id="long-line"),
        pytest.param("abcdefgh\nijklmn\nop", "abcdefgh\ni…", "… 1 more line", id="both"),
    ],
)
def test_shorten(text: str, expected: str, note: str | None) -> None:
    shown, said = shorten(text, max_lines=2, max_chars=10)
    assert shown == expected
    assert said == (None if note is None else f"{note} (the model gets all of it)")


def test_renderer_console_interprets_no_markup() -> None:
    r = renderer()
    r.console.print("[bold]x[/bold]")  # a stray str is printed as is, never as markup
    assert text(r) == "[bold]x[/bold]"


def test_replayed_prompt_uses_the_live_prompts_short_label() -> None:
    # A resumed conversation shows each question as the prompt showed it when typed: the
    # model's short name (the full name is in the toolbar and the footers).
    r = renderer()
    r.user_message("hello", model="hf.co/unsloth/Qwen3-8B-GGUF:Q4_K_M")
    assert text(r) == "Qwen3-8B ❯ hello"


def test_a_table_without_headings_draws_no_empty_header_row() -> None:
    r = renderer()
    r.table("Model", ["", ""], [("family", "qwen3"), ("parameters", "8.2B")])
    lines = [line for line in text(r).splitlines() if line.strip()]
    assert lines[0].strip() == "Model"
    assert lines[1].split() == ["family", "qwen3"]  # the rows come right under the title
