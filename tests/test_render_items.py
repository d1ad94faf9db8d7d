"""A list item that holds paragraphs, code, quotes or tables prints block by block: each of
its blocks once the next begins, drawn below the item's padding, as the whole list draws it."""

from __future__ import annotations

import io
import random

import pytest
from test_blocks import random_pieces, render_streamed, render_whole
from test_render_growing import _drawn_while_streaming, _frames_in_sizes, _frames_show_the_whole
from test_render_live import ERASE, SYNC_BEGIN, SYNC_END, stream
from test_render_pieces import assert_line_ends_show_the_whole

from termchat.messages import ContentDelta
from termchat.render import Renderer
from termchat.render.blocks import BlockSplitter
from termchat.render.markdown import SafeMarkdown
from termchat.render.trim import Trimmed

SENTENCE = "the model reads each token as it arrives and keeps only the unfinished block"


def _words(rng: random.Random, count: int) -> str:
    words = SENTENCE.split(" ")
    return " ".join(rng.choice(words) for _ in range(count))


def _child(rng: random.Random, pad: str) -> list[str]:
    """One block inside an item (after its first), its lines indented to `pad`."""
    roll = rng.random()
    if roll < 0.45:
        return [pad + _words(rng, rng.randint(3, 30))]
    if roll < 0.6:
        return [pad + _words(rng, 4), pad + _words(rng, 5)]  # two lines, one paragraph
    if roll < 0.72:
        body = [pad + f"x = {n}  # {_words(rng, 2)}" for n in range(rng.randint(1, 6))]
        return [pad + "```python", *body, pad + "```"]
    if roll < 0.8:
        return [pad + "> " + _words(rng, 6)]
    if roll < 0.86:
        return [pad + "| a | b |", pad + "|---|---|", pad + f"| {_words(rng, 2)} | 1 |"]
    if roll < 0.9:
        return [pad + "### " + _words(rng, 3)]
    if roll < 0.92:
        return [pad + "**" + _words(rng, 2) + "** " + _words(rng, 4)]
    if roll < 0.96:  # a code span across lines indented further, in a quote's lazy line
        quote = "> " if rng.random() < 0.5 else ""
        return [pad + quote + "a `span", pad + "    " + _words(rng, 2) + "` " + _words(rng, 2)]
    return [pad + "    indented code " + _words(rng, 2)]


def items_with_blocks(rng: random.Random, numbered: bool = False) -> str:
    """A list (nested up to 3 deep) whose items hold more blocks after blank lines."""
    lines: list[str] = []
    columns: list[int] = []
    number = 1  # at most 8 items: no number is wider (see `Part` for wider ones)
    for _ in range(rng.randint(2, 8)):
        depth = min(rng.randint(0, len(columns)), 2)
        del columns[depth:]
        indent = columns[-1] if columns else 0
        if numbered and not depth:
            marker = f"{number}."
            number += 1
        else:
            marker = "-"
        lines.append(" " * indent + marker + " " + _words(rng, rng.randint(1, 8)))
        columns.append(indent + len(marker) + 1)
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            lines.append("")
            lines += _child(rng, " " * columns[-1])
        if rng.random() < 0.3:
            lines.append("")
    return "\n".join(lines) + ("\n" if rng.random() < 0.8 else "")


@pytest.mark.parametrize("width", [24, 50, 100])
@pytest.mark.parametrize("numbered", [False, True])
def test_items_holding_blocks_stream_as_the_whole_list_draws(width: int, numbered: bool) -> None:
    for seed in range(40):
        rng = random.Random(seed * 13 + width + numbered)
        text = items_with_blocks(rng, numbered)
        assert render_streamed(random_pieces(rng, text), width) == render_whole(text, width), (
            seed,
            text,
        )


@pytest.mark.parametrize("width", [30, 80])
@pytest.mark.parametrize("numbered", [False, True])
def test_items_holding_blocks_show_at_every_line_end_what_the_whole_shows(
    width: int, numbered: bool
) -> None:
    for seed in range(30):
        text = items_with_blocks(random.Random(seed + width), numbered)
        assert_line_ends_show_the_whole(text, width, seed)


@pytest.mark.parametrize("numbered", [False, True])
def test_every_frame_of_items_holding_blocks_shows_the_whole(numbered: bool) -> None:
    for seed in range(6):
        rng = random.Random(seed)
        text = items_with_blocks(rng, numbered)
        _frames_show_the_whole(text, rng.choice([30, 80]), random_pieces(rng, text))


@pytest.mark.parametrize("numbered", [False, True])
def test_an_item_of_paragraphs_with_lazy_lines_is_not_drawn_whole_every_frame(
    numbered: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found in review: a paragraph's line written further out than its item (a lazy
    continuation) had the item's paragraphs drawn with all the item's lines printed before
    them, twice a frame (4 times what was drawn when the item was held whole)."""
    indent = "   " if numbered else "  "
    body = "".join(f"{indent}Paragraph {n}: {SENTENCE}\n{SENTENCE} again.\n\n" for n in range(120))
    text = ("1. " if numbered else "- ") + "**The one step**\n\n" + body
    drawn = _drawn_while_streaming(text, 80, monkeypatch)
    assert drawn < 12 * len(text)  # the item drawn whole every frame: ~200 ×


@pytest.mark.parametrize(
    "text",
    [
        "- top\n\n  a `span\nlazy` x\n\n  after\n",  # read alone, its spaces all off
        "- top\n  - sub\n\n    a `span\n  lazy` y\n\n    after\n",
        "1. top\n\n   para\n lazy\n\n   - x\n   y\n\n   after\n",
        # further out, these end the item or start something else alone: read with the item
        "- top\n\n  para\n2. x\n",
        "- top\n\n  para\n* \n\n  after\n",
        "- top\n\n  a | b\n|---|---|\n",
        "- top\n\n  para\n===\n\n  after\n",
        "- top\n\n      code\nlazy\n",
        "- top\n\n  | a |\n  |---|\n  | 1 |\nlazy\n",
        "- top\n\n  > q `x\n    lazy` y\n\n  after\n",
        # in a quote, a lazy line keeps all its spaces, the item's too
        "- top\n  - sub\n  - > q `a\n lazy` b\n",
        "- top\n  - sub\n  - > q `a\n      lazy` b\n",
        "- top\n  - sub\n  - x\n\n    - > q `a\n      lazy` b\n",
        "- top\n\n  > q\n> more\n",  # a quote of its own after the list
        "- top\n\n  > q `a\n      > lazy` b\n",  # too far in to be the quote's `>`
    ],
)
def test_lazy_lines_in_an_item_stream_as_the_whole_list_draws(text: str) -> None:
    for width in (20, 60):
        assert render_streamed(text.splitlines(keepends=True), width) == render_whole(text, width)
        assert render_streamed(list(text), width) == render_whole(text, width)
        assert_line_ends_show_the_whole(text, width)


@pytest.mark.parametrize(
    "text",
    [
        "- >\n\n  para\n",
        "- > >\n\n  para\n\n  more\n",
        "- x\n  - >\n\n    para\n",
        "- >\n  - sub\n",
        "- > q\n\n  para\n",  # narrow, the quote draws no row
        "- x\n  - > q\n\n    para\n    - sub\n",
    ],
)
@pytest.mark.parametrize("width", [6, 10, 40])
def test_a_later_block_of_an_item_whose_quote_draws_no_row_keeps_the_bullet(
    text: str, width: int
) -> None:
    """Found in review: an item whose first block is a quote that draws no row (empty, or
    too narrow for its bar) has its bullet on the next block's first row; that block,
    printed on its own below padding, showed none."""
    assert render_streamed(list(text), width) == render_whole(text, width)
    assert_line_ends_show_the_whole(text, width)


def test_a_block_drawn_with_its_item_reads_the_item_printed_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Found in review: a later block of an item that reads otherwise alone (here a
    numbered list) is drawn after the item's lines printed already, their rows left out;
    those lines were parsed and drawn again for every frame, twice what holding the item
    whole cost."""
    from termchat.render import markdown as markdown_module

    paragraphs = [f"  Paragraph {n}: {SENTENCE}.\n\n" for n in range(30)]
    printed = "- top\n\n" + "".join(paragraphs[:-1])  # the last goes with the list after it
    text = printed + paragraphs[-1] + "".join(f"  {n}. {SENTENCE}\n" for n in range(1, 41))
    assert render_streamed(text.splitlines(keepends=True), 60) == render_whole(text, 60)
    parsed: list[str] = []
    made = markdown_module.SafeMarkdown.__init__

    def counted(self: markdown_module.SafeMarkdown, text: str, **kwargs: object) -> None:
        parsed.append(text)
        made(self, text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(markdown_module.SafeMarkdown, "__init__", counted)
    assert_line_ends_show_the_whole(text, 60)
    # drawn at once when it was all the text so far, and once by the printer: not every frame
    assert parsed.count(printed) <= 2, parsed.count(printed)


def _one_long_item(numbered: bool, paragraphs: int = 120) -> str:
    body = "".join(f"   Paragraph {n}: {SENTENCE} {SENTENCE}.\n\n" for n in range(paragraphs))
    return ("1. " if numbered else "- ") + "**The one step**\n\n" + body


@pytest.mark.parametrize("numbered", [False, True])
def test_an_item_of_many_paragraphs_is_not_drawn_whole_every_frame(
    numbered: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found measuring: one item holding 8k tokens of paragraphs cost 7.8 CPU-s against 0.5
    at 2k: the item was held whole, parsed and drawn again every frame."""
    text = _one_long_item(numbered)
    drawn = _drawn_while_streaming(text, 80, monkeypatch)
    assert drawn < 12 * len(text)  # drawn whole every frame: ~120 ×


@pytest.mark.parametrize("numbered", [False, True])
def test_the_splitter_prints_an_item_block_by_block(numbered: bool) -> None:
    text = _one_long_item(numbered, paragraphs=60)
    splitter = BlockSplitter()
    pieces = [piece for line in text.splitlines(keepends=True) for piece in splitter.feed(line)]
    # a numbered list is held until its width is known (at most HOLD_LINES lines)
    assert len(pieces) >= 60 - 25
    assert all(piece.text.count("\n") <= 2 for piece in pieces[3:])


@pytest.mark.parametrize(
    "text",
    [
        "- top\n  - x\n  - a | b\n    |---|---|\n  - y\n",  # alone, the item reads as a table
        "- top\n\n  para\n\n  > quote `span\n      lazy` end\n\n  after\n",
        "- top\n\n  para\n\n  1. one\n  2. two\n\n  after\n",
        # a tab after the item's column stops 4 columns from the line's start, not the item's
        "- top\n\n  para\n\n  \tx tab\n\n  after\n",
        "- top\n   - sub\n\n     para\n\n     \tx tab\n",
    ],
)
def test_item_blocks_that_read_otherwise_alone_are_drawn_with_their_item(text: str) -> None:
    for width in (20, 60):
        assert render_streamed(text.splitlines(keepends=True), width) == render_whole(text, width)
        assert_line_ends_show_the_whole(text, width)


def _item_code(numbered: bool, lines: int, depth: int = 1) -> str:
    pad = "   " if numbered else "  "
    if depth == 2:
        pad += "  "
    code = "".join(
        f"{pad}x_{n} = compute({n}, '''v\n{pad}alue''')  # step {n}\n" for n in range(lines)
    )
    first = "1. Install it:\n\n" if numbered else "- Install it:\n\n"
    if depth == 2:
        first += pad[:-2] + "- then this:\n\n"
    return f"{first}{pad}```python\n{code}{pad}```\n\n" + (
        "2. Done.\n" if numbered else "- Done.\n"
    )


@pytest.mark.parametrize(("numbered", "depth"), [(False, 1), (True, 1), (False, 2), (True, 2)])
def test_a_code_block_in_an_item_streams_as_the_whole_draws_it(numbered: bool, depth: int) -> None:
    for seed in range(3):
        rng = random.Random(seed)
        text = _item_code(numbered, rng.randint(1, 25), depth)
        pieces, at = [], 0
        while at < len(text):
            size = rng.randint(3, 40)
            pieces.append(text[at : at + size])
            at += size
        _frames_show_the_whole(text, rng.choice([30, 80]), pieces)


@pytest.mark.parametrize("numbered", [False, True])
def test_a_long_code_block_in_an_item_is_not_drawn_whole_every_frame(
    numbered: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found measuring: a 250-line code block inside a list item cost 8 CPU-s (1,000 lines:
    150 s), frames of 200 ms: the item was drawn again, highlighted whole, every frame."""
    text = _item_code(numbered, 250)
    drawn = _drawn_while_streaming(text, 80, monkeypatch)
    assert drawn < 12 * len(text)  # drawn whole every frame: ~60 ×


def _styled_scrollback(text: str, width: int, size: int) -> tuple[list[str], list[str]]:
    """`text` streamed `size` characters a frame in a colour terminal: the rows left in the
    scrollback, colours and all, and the rows of `text` drawn at once the same way."""
    run = stream(
        [ContentDelta(text[at : at + size]) for at in range(0, len(text), size)],
        width=width,
        height=200,
    )
    kept: list[str] = []
    for frame in (w for w in run.out.writes if w):
        body = frame[len(SYNC_BEGIN) : -len(SYNC_END)].replace("\x1b[?25l", "")
        body = body.replace("\x1b[?25h", "")
        match = ERASE.match(body)
        if match:
            del kept[len(kept) - int(match.group(1)) :]
            body = body[match.end() :]
        kept.extend(body.split("\n")[:-1])
    whole = Renderer(io.StringIO(), width=width, force_terminal=True, color_system="truecolor")
    with whole.console.capture() as capture:
        whole.console.print(Trimmed(SafeMarkdown(text, code_start=1)))
    return kept[:-1], capture.get().split("\n")[:-1]  # the footer off


@pytest.mark.parametrize(("numbered", "depth"), [(False, 1), (True, 2)])
def test_a_code_block_in_an_item_streams_in_the_colours_of_the_whole(
    numbered: bool, depth: int
) -> None:
    text = _item_code(numbered, 30, depth)
    for size in (7, 60):
        streamed, whole = _styled_scrollback(text, 70, size)
        assert streamed == whole


@pytest.mark.parametrize(
    "text",
    [
        "1. Install:\n\n   ```bash\n   pip install x\n   pip install y\n```\n\n2. Next\n",
        "- a:\n\n  ```py\n  x = 1\n  y = 2\n z = 3\n  ```\n- b\n",
        "- a:\n\n  ```py\n  x = 1\n\n  y = 2\n  ```\n  after the code\n- b\n",
        "- a:\n  - b:\n\n    ```py\n    x = 1\n    y = 2\n  - c\n",
        "- a:\n\n  ```py\n  x = 1\n\ty = 2\n  ```\n",
        "- a:\n\n  ```py\n  x = 1\n  y = 2",  # the answer ends inside it
        # a tab after the item's column reaches column 4: two columns in, a closing fence
        # (found in review: it showed as a line of code until the item ended)
        "- a:\n\n  ```py\n  x = 1\n  \t```\n\n  after\n- b\n",
        "1. a:\n\n   ```py\n   x = 1\n   \t```\n   more\n",
    ],
)
def test_a_code_block_in_an_item_that_ends_otherwise_streams_as_the_whole(text: str) -> None:
    _frames_in_sizes(text, 40, (1, 5, 23))


@pytest.mark.parametrize(
    "text", ["para\n\n```py\nx = 1\ny = 2\n```\n", "- a\n\n```py\nx = 1\n```\n"]
)
def test_the_blank_line_above_a_code_block_shows_before_its_first_line_prints(text: str) -> None:
    """It was printed with the block's first line: until then the block's number sat right
    under the paragraph, and the block moved down a row when its first line printed."""
    _frames_in_sizes(text, 40, (1, 5))
