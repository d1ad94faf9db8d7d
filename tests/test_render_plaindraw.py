"""Plain text drawn without parsing it gives exactly the rows rich's Markdown draws for it:
a paragraph, a quote of one, a bulleted list item of one; anything that may hold markup or
begin another block is left to the Markdown."""

from __future__ import annotations

import io
import random
import re

import pytest
from rich.console import Console
from test_render_growing import PLAIN, _frames_in_sizes

from termchat.render import Renderer
from termchat.render.markdown import SafeMarkdown
from termchat.render.pieces import Part
from termchat.render.plaindraw import PlainItem, plain_rows

# words of plain text, some of which begin a line that the parser reads on as the paragraph
PLAIN_EXTRA = ["2024", "50%", "(see", "it)", "a-b", "c=d", "#tag", "|pipe|", "日本語", "x" * 45]
# spaces the parser trims at a paragraph's ends, as Python's str.strip() does (found in
# review: drawn as plain text they stayed, a row of their own after a row's last word)
SPACED = ["no\u00a0break", "end\u00a0", "文\u3000", "thin\u2009"]


@pytest.mark.parametrize("quoted", [False, True])
def test_plain_text_draws_the_segments_of_the_markdown_without_parsing_it(quoted: bool) -> None:
    """`plain_rows` stands for rich's Markdown on plain paragraphs and quotes of one: the
    same rows, styles and segments, blank lines around it, each line's outer spaces and a
    quote's lazy lines included (a quote without the blank row rich draws above it)."""
    console = Renderer(io.StringIO(), width=37, force_terminal=True, color_system="truecolor")
    drawn = 0
    for seed in range(400):
        rng = random.Random(seed)
        words = PLAIN + PLAIN_EXTRA
        lines = [
            " " * rng.choice([0, 1, 3])
            + " ".join(rng.choice(words) for _ in range(rng.randint(1, 14)))
            + " " * rng.choice([0, 1])
            for _ in range(rng.randint(1, 5))
        ]
        if quoted:
            lines = [
                (">" if not index or rng.random() < 0.8 else "") + line
                for index, line in enumerate(lines)
            ]
        if rng.random() < 0.1:
            lines[-1] += " " + rng.choice(SPACED)
        text = rng.choice(["", "\n", " \n"]) + "\n".join(lines) + rng.choice(["", "\n", "\n "])
        rows = plain_rows(console.console, text, quoted)
        if rows is None:
            unusual_space = re.search(r"[^\S \n]", text)
            begins = any(not re.match(r" *>? *[^\W\d_]", line) for line in lines)
            assert unusual_space or begins, text
            continue
        options = console.console.options.update(height=None)
        whole = console.console.render_lines(SafeMarkdown(text), options, pad=False)
        assert rows == (whole[1:] if quoted else whole)
        drawn += 1
    assert drawn > 100


@pytest.mark.parametrize(
    "text",
    [
        "a **bold** word",
        "a `span`",
        "an &amp; entity",
        "a hard  \nbreak",
        "an escaped \\* star",
        "a [link](x)",
        "a\ttab",
        "first line\n- a list item",
        "first line\n1. a numbered item",
        "first line\n> a quote",
        "    indented code",
        "first line\n===",
        "",
        "a quote\n>\n> of two paragraphs",
        "a quote\n> > nested",
    ],
)
def test_text_that_may_hold_markup_is_not_drawn_as_plain(text: str) -> None:
    console = Console(width=40)
    assert plain_rows(console, text) is None
    assert plain_rows(console, "> " + text.replace("\n", "\n> "), quoted=True) is None


def _item(rng: random.Random) -> str:
    words = PLAIN + PLAIN_EXTRA
    lines = []
    for index in range(rng.randint(1, 4)):
        if index:
            lead = rng.choice(["  ", "", "   ", "      "])
        else:
            lead = rng.choice(["- ", "+ ", "-  ", "-    ", "-     ", "* ", "1. "])
        line = " ".join(rng.choice(words) for _ in range(rng.randint(1, 12)))
        lines.append(lead + line + rng.choice(["", " "]))
    if rng.random() < 0.1:
        lines[-1] += " " + rng.choice(SPACED)
    return "\n".join(lines) + rng.choice(["", "\n", "\n\n"])


@pytest.mark.parametrize("width", [5, 37, 80])
def test_a_plain_item_draws_the_segments_of_the_markdown_without_parsing_it(width: int) -> None:
    """`PlainItem` stands for rich's Markdown on a later piece of a bulleted list that is
    one item of one plain paragraph: the same rows, styles and segments."""
    console = Renderer(io.StringIO(), width=width, force_terminal=True, color_system="truecolor")
    options = console.console.options.update(height=None)
    drawn = 0
    for seed in range(300):
        text = _item(random.Random(seed))
        item = PlainItem.of(text)
        if item is None:
            continue
        whole = SafeMarkdown(text, part=Part("list"))
        drawn_rows = console.console.render_lines(item, options, pad=False)
        assert drawn_rows == console.console.render_lines(whole, options, pad=False), text
        drawn += 1
    assert drawn > 60


@pytest.mark.parametrize(
    "text",
    [
        "* a star is also emphasis's character",
        "1. numbered",
        "-     indented code in the item",
        "- a\n  - nested item",
        "- a\n\n  second paragraph",
        "- a **bold** word",
        "- a\n- b",
        "-",
        "not an item",
    ],
)
def test_what_is_not_a_plain_item(text: str) -> None:
    assert PlainItem.of(text) is None


@pytest.mark.parametrize(
    ("text", "width"),
    [
        (
            "> the model reads each\n> token as it arrives and\n> keeps only the unfinished\n"
            "> block 日本語の文章です\u3000次の文\n",
            12,
        ),
        (
            "> the model reads each\n> token as it arrives and\n> keeps only the unfinished\n"
            "> block of it abcdefghijkl\u00a0gh more\n",
            10,
        ),
        ("- a\n- abcdefghijklmnop\u00a0\n- c\n", 11),
        ("- a\n  - abcdefghijklmn\u00a0\n  - c\n", 11),
    ],
)
def test_unicode_spaces_at_a_line_end_are_left_to_the_markdown(text: str, width: int) -> None:
    """Found in review: the parser trims a no-break or ideographic space at a paragraph's
    end; drawn as plain text it kept it, a row of its own when the word before it filled a
    row (an extra quote bar while streaming, a blank row left in the scrollback)."""
    _frames_in_sizes(text, width, (1, 2))
