"""A line that fits its row is drawn without wrapping it, segment for segment as rich draws it."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator

import pytest
from rich.console import Console, JustifyMethod, OverflowMethod
from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from termchat.render.onerow import one_row
from termchat.render.tablerows import ColumnLayout, _cell_row

WORDS = ["ok", "word", "3.5 ms", "日本語", "😀", "e\u0301", "\u200b", "  ", "x" * 12, ""]
STYLES = [Style(bold=True), Style(color="red"), Style(bgcolor="blue", italic=True), Style()]
JUSTIFY: list[JustifyMethod | None] = [None, "default", "left", "right", "center", "full"]
OVERFLOW: list[OverflowMethod | None] = [None, "fold", "crop", "ellipsis"]


def random_text(rng: random.Random) -> Text:
    """Words with spans of random styles over random stretches (some past the end), a base
    style now and then, any justification and overflow."""
    plain = " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 5)))
    if rng.random() < 0.2:
        plain += " " * rng.randint(1, 3)  # trailing spaces (right and centre strip them)
    text = Text(
        plain,
        style=rng.choice([*STYLES, ""]),
        justify=rng.choice(JUSTIFY),
        overflow=rng.choice(OVERFLOW),
    )
    for _ in range(rng.randint(0, 4)):
        start = rng.randint(0, len(plain))
        text.stylize(rng.choice(STYLES), start, start + rng.randint(0, 6))
    return text


def random_cases(
    seed: int, widest: int
) -> Iterator[tuple[random.Random, Text, int, JustifyMethod, OverflowMethod]]:
    """1,500 random texts, each with a width up to `widest` and the justification and overflow
    the options give it (and the generator, for what else a test picks)."""
    rng = random.Random(seed)
    for _ in range(1500):
        justify: JustifyMethod = rng.choice(["default", "left", "right", "center"])
        overflow: OverflowMethod = rng.choice(["fold", "crop", "ellipsis"])
        yield rng, random_text(rng), rng.randint(1, widest), justify, overflow


def drawn_alike(row: list[Segment] | None, expected: list[list[Segment]], case: object) -> int:
    """1 when the row was drawn (then it must be rich's one row), 0 when it was left to rich."""
    if row is None:
        return 0
    assert [row] == expected, case
    return 1


def test_one_row_is_what_render_lines_draws() -> None:
    console = Console(width=80, force_terminal=True, color_system="truecolor")
    taken = 0
    for _, text, width, justify, overflow in random_cases(3, widest=40):
        for style, pad in itertools.product(
            [None, Style(), Style(bgcolor="grey23")], [True, False]
        ):
            options = console.options.update(
                width=width, justify=justify, overflow=overflow, no_wrap=False, height=None
            )
            expected = console.render_lines(text, options, style=style, pad=pad)
            row = one_row(console, text, width, style, justify=justify, overflow=overflow, pad=pad)
            taken += drawn_alike(row, expected, (text, width, justify, overflow, style, pad))
    assert taken > 3000


@pytest.mark.parametrize("text", ["a\tb", "a\nb", "x" * 41])
def test_one_row_leaves_other_lines_to_rich(text: str) -> None:
    console = Console(width=80, force_terminal=True)
    assert one_row(console, Text(text), 40, None, justify="left", overflow="fold", pad=True) is None
    assert (
        one_row(
            console, Text("ab", justify="full"), 40, None, justify="left", overflow="fold", pad=True
        )
        is None
    )


def test_a_cell_that_fits_is_drawn_as_its_padding_draws_it() -> None:
    console = Console(width=80, force_terminal=True, color_system="truecolor")
    taken = 0
    for rng, cell, width, justify, overflow in random_cases(5, widest=30):
        padding = (0, rng.randint(0, 2), 0, rng.randint(0, 2))
        options = console.options.update(
            width=width, justify=justify, overflow=rng.choice([None, overflow]), height=None
        )
        style = rng.choice([Style(), Style(color="green"), Style(bgcolor="grey15", bold=True)])
        column = ColumnLayout(width, options, {}, style, "top", Style())
        expected = console.render_lines(Padding(cell, padding), options, style=style)
        row = _cell_row(console, column, cell, padding, style)
        taken += drawn_alike(row, expected, (cell, width, padding, justify, style))
    assert taken > 700
