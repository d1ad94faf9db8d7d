"""Lines without padding, code block backgrounds, NO_COLOR, and the small parts of issue 9."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from termchat.messages import Stats
from termchat.render import Renderer
from termchat.render.parts import footer_text, short_source, stats_rows
from termchat.render.pull import PullDisplay
from termchat.render.trim import ERASE_TO_END, trim_row

BG = Style(bgcolor="red")
COLOUR = re.compile(r"\x1b\[[0-9;]*(?:\b3[0-7]|\b38|\b4[0-7]|\b48|\b9[0-7]|\b10[0-7])[;m]")
MARKDOWN = (
    "A paragraph that is short.\n\n> a quote\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
    "# Title\n\n```python\nx = 1  # one\n\ny = 'two'\n```\n"
)


@pytest.mark.parametrize(
    ("row", "fill", "expected"),
    [
        pytest.param([Segment("ab  "), Segment("   ")], True, [Segment("ab")], id="spaces"),
        pytest.param([Segment("ab")], True, [Segment("ab")], id="nothing-to-trim"),
        pytest.param([Segment("   ")], True, [], id="blank-row"),
        pytest.param(
            [Segment(" ", BG), Segment("x", BG), Segment("  ", BG)],
            True,
            [Segment(" ", BG), Segment("x", BG), Segment(ERASE_TO_END, Style(bgcolor="red"))],
            id="background-to-the-edge",
        ),
        pytest.param(
            [Segment(" ", BG), Segment("x", BG), Segment("  ", BG)],
            False,
            [Segment(" ", BG), Segment("x", BG)],
            id="no-colour",
        ),
        pytest.param(
            [Segment("x", BG), Segment("  ")], True, [Segment("x", BG)], id="plain-blank-after"
        ),
    ],
)
def test_trim_row(row: list[Segment], fill: bool, expected: list[Segment]) -> None:
    trimmed = trim_row(row, fill)
    assert [(s.text, s.style) for s in trimmed] == [(s.text, s.style) for s in expected]


def terminal(**kwargs: object) -> Renderer:
    return Renderer(io.StringIO(), width=50, force_terminal=True, **kwargs)  # type: ignore[arg-type]


def test_printed_lines_end_at_their_last_character() -> None:
    renderer = terminal(color_system="truecolor")
    renderer.markdown(MARKDOWN)
    renderer.stats_table("qwen3", Stats(eval_count=3))
    renderer.table("T", ["a", "b"], [("1", "2")])
    out = renderer.console.file.getvalue()  # type: ignore[attr-defined]
    assert "A paragraph" in out
    assert not re.search(r" +(\x1b\[[0-9;]*m)*\n", out)


_CODE_BLOCK = """
import io
from termchat.render import Renderer
renderer = Renderer(io.StringIO(), width=50, force_terminal=True, color_system="256")
renderer.warm_up()
renderer.markdown("Before.\\n\\n```python\\nx = 1  # one\\n```\\n\\nAfter.")
print(renderer.console.file.getvalue(), end="")
"""


def test_code_block_has_one_background_to_the_edge_and_no_blank_rows() -> None:
    # In a fresh interpreter: rich caches a style's codes for the first colour system that
    # draws it, and the warm-up must not be the one that decides (other tests would be).
    ran = subprocess.run(
        [sys.executable, "-c", _CODE_BLOCK], capture_output=True, text=True, check=True
    )
    out = ran.stdout
    lines = re.sub(r"\x1b\[[0-9;]*[mK]", "", out).split("\n")
    assert lines[:5] == ["Before.", "", " x = 1  # one", "", "After."]
    code = out.split("Before.")[1].split("After.")[0]
    assert len(set(re.findall(r"\b48;(5;\d+|2;\d+;\d+;\d+)", code))) == 1
    assert "\x1b[K" in code


def test_no_color_environment_variable_removes_every_colour(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    renderer = terminal(color_system="truecolor")
    renderer.thinking_full("reasoning")
    renderer.markdown(MARKDOWN)
    renderer.warning("careful")
    out = renderer.console.file.getvalue()  # type: ignore[attr-defined]
    assert COLOUR.search(out) is None
    assert "\x1b[K" not in out  # no background to draw
    assert "\x1b[3m" in out  # italic reasoning stays


def test_empty_no_color_keeps_colours(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "")
    renderer = terminal(color_system="truecolor")
    renderer.warning("careful")
    assert COLOUR.search(renderer.console.file.getvalue())  # type: ignore[attr-defined]


def plain(text: Text) -> str:
    return text.plain


@pytest.mark.parametrize(
    ("stats", "number", "expected"),
    [
        pytest.param(
            Stats(eval_count=24, eval_duration=10**9, total_duration=2 * 10**9),
            3,
            "#3 · qwen3 · 24 tokens · 24.0 tok/s · 2.0 s",
            id="server",
        ),
        pytest.param(
            Stats(eval_duration=10**9, counted_tokens=30, counted_thinking=10),
            None,
            "qwen3 · ~30 tokens · ~30.0 tok/s · 1.5 s",
            id="counted",
        ),
        pytest.param(None, 1, "#1 · qwen3 · 1.5 s", id="nothing"),
    ],
)
def test_footer_follows_the_counting_rule(
    stats: Stats | None, number: int | None, expected: str
) -> None:
    assert plain(footer_text("qwen3", stats, 1.5, number)) == expected


def test_stats_rows_mark_counted_figures() -> None:
    rows = dict(
        stats_rows("qwen3", Stats(eval_duration=10**9, counted_tokens=8, counted_thinking=5))
    )
    assert rows["answer tokens"] == "~8"
    assert rows["reasoning tokens"] == "~5"
    assert rows["answer speed"] == "~8.0 tok/s"


@pytest.mark.parametrize(
    ("source", "short"),
    [
        pytest.param("file:/home/me/projects/deep/my_tools.py", "my_tools.py", id="file"),
        pytest.param("builtin", "builtin", id="builtin"),
        pytest.param("mcp:github", "mcp:github", id="mcp"),
        pytest.param("file:/x/\x1b[31mevil.py", "evil.py", id="sanitized"),
    ],
)
def test_short_source(source: str, short: str) -> None:
    assert short_source(source) == short


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_pull_display_leaves_one_line_per_layer_and_step() -> None:
    renderer = Renderer(io.StringIO(), width=80, record=True, color_system=None)
    clock = Clock()
    view = PullDisplay(renderer.console, renderer.print, clock)
    view.step("pulling manifest")
    digest = "sha256:" + "ab" * 32
    for done in (0, 1_000_000_000, 2_000_000_000):
        view.step("pulling abababababab", digest=digest, total=2_000_000_000, completed=done)
        clock.now += 2.0
    view.step("pulling abababababab", digest=digest, total=2_000_000_000, completed=2_000_000_000)
    view.step("verifying sha256 digest")
    view.step("writing manifest")
    view.step("success")
    view.close()
    lines = renderer.console.export_text().strip().split("\n")
    assert lines == [
        "pulling manifest",
        "pulled abababababab · 2.0 GB · 4.0 s · 500.0 MB/s",
        "verifying sha256 digest",
        "writing manifest",
    ]


def test_pull_display_stopped_says_how_far_it_got() -> None:
    renderer = Renderer(io.StringIO(), width=80, record=True, color_system=None)
    view = PullDisplay(renderer.console, renderer.print, Clock())
    view.step("pulling cdcdcdcdcdcd", digest="sha256:cd", total=4_000_000, completed=1_000_000)
    view.close()
    assert renderer.console.export_text().strip() == (
        "pulling cdcdcdcdcdcd · stopped at 1.0 MB of 4.0 MB"
    )
