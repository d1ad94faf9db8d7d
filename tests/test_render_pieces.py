"""Long blocks print as they grow: list items and table rows in pieces, reasoning row by row.

What the user sees is decided here: a list looks exactly as drawn at once (a numbered list of
99 or more items has its numbers one column narrower); a table of more than FREEZE_CELLS body
cells takes its column widths from its first rows, with room to grow where the terminal has it,
and a later cell too long for them wraps inside its column (drawn again, as on resume, the
columns fit all rows).
"""

from __future__ import annotations

import io
import random

import pytest
from rich.console import Console
from rich.theme import Theme
from test_blocks import deep_bullets, render_streamed, render_whole
from test_render_growing import _frames_in_sizes
from test_render_live import DONE, chars, stream

from termchat.messages import ContentDelta
from termchat.render.blocks import FREEZE_CELLS, BlockSplitter
from termchat.render.elements import with_room_to_grow
from termchat.render.markdown import BlockPrinter, SafeMarkdown
from termchat.render.pieces import HOLD_LINES, Piece
from termchat.render.sanitize import sanitize
from termchat.render.thinking import ThinkingStream, ruled_rows

WIDE_HEAD = "| name | size | note |\n|---|---:|---|\n"


def table(rows: int, cell: str = "x") -> str:
    return WIDE_HEAD + "".join(f"| {cell}{n} | {n * 7} | ok |\n" for n in range(rows))


def pieces_of(text: str, freeze_cells: int = FREEZE_CELLS) -> list[tuple[str, str | None]]:
    splitter = BlockSplitter(freeze_cells)
    out = [block for char in text for block in splitter.feed(char)] + splitter.finish()
    return [
        (p.text, p.part and f"{p.part.kind}{'<' * p.part.first}{'>' * p.part.last}") for p in out
    ]


# --- lists ---------------------------------------------------------------------------------


def test_list_items_finish_as_the_next_one_starts() -> None:
    text = "- one\n- two\n  - nested\n- three\n\nafter\n"
    assert pieces_of(text) == [
        ("- one\n", "list<"),
        ("- two\n", "list"),
        ("  - nested\n", "list"),  # a nested item prints too once the next one starts
        ("- three\n\n", "list>"),
        ("after\n", None),
    ]
    assert render_streamed(list(text), 40) == render_whole(text, 40)


def test_numbered_list_is_held_until_its_width_is_known() -> None:
    short = "".join(f"{n}. item\n" for n in range(1, 9))
    assert [kind for _, kind in pieces_of(short)] == [None]  # eight items: held whole
    long = "".join(f"{n}. item\n" for n in range(1, 13))
    kinds = [kind for _, kind in pieces_of(long)]
    assert kinds[0] == "list<" and kinds[-1] == "list>" and len(kinds) == 5
    assert render_streamed(list(long), 30) == render_whole(long, 30)


def test_numbered_list_numbers_count_on_whatever_the_items_say() -> None:
    text = "".join("1. same\n" for _ in range(14)) + "\nend\n"
    streamed = render_streamed(list(text), 30)
    assert streamed == render_whole(text, 30)
    assert " 14 same" in streamed


def test_numbered_list_of_99_items_or_more_keeps_the_width_it_started_with() -> None:
    text = "".join(f"{n}. item\n" for n in range(1, 121))
    streamed = render_streamed(list(text), 30).splitlines()
    streamed = [line.rstrip() for line in streamed]
    assert "  9 item" in streamed and " 10 item" in streamed and "120 item" in streamed
    whole = [line.rstrip() for line in render_whole(text, 30).splitlines()]
    assert "   9 item" in whole and " 120 item" in whole  # drawn at once: one column wider
    # the same whichever pieces the text came in
    assert render_streamed([text[:500], text[500:]], 30) == render_streamed(list(text), 30)


# --- tables --------------------------------------------------------------------------------


def test_short_table_is_held_whole_and_looks_like_the_whole() -> None:
    rows = FREEZE_CELLS // 3
    text = table(rows) + "\nafter\n"
    assert [kind for _, kind in pieces_of(text)] == [None, None]
    assert render_streamed(list(text), 40) == render_whole(text, 40)


def words_by_row(text: str) -> list[str]:
    """Each row's words; a rule under a header counts the same at any width."""
    rows = [" ".join(line.split()) for line in text.split("\n")]
    return ["─" if row and not row.strip("─") else row for row in rows]


def test_long_table_prints_row_by_row_with_the_same_rows_as_the_whole() -> None:
    text = table(20) + "\nafter\n"
    kinds = [kind for _, kind in pieces_of(text)]
    assert kinds[0] == "table<" and kinds.count("table") >= 10 and kinds[-2:] == ["table>", None]
    streamed = render_streamed(list(text), 40)
    assert words_by_row(streamed) == words_by_row(render_whole(text, 40))
    assert " 104 kB " not in streamed


def test_long_table_columns_have_room_to_grow() -> None:
    """A size column fitted to "85 kB" still holds a later "104 kB" on one row."""
    text = WIDE_HEAD + "".join(f"| x{n} | {n * 17} kB | ok |\n" for n in range(12))
    streamed = [line.rstrip() for line in render_streamed(list(text), 60).split("\n")]
    assert " x11     187 kB  ok" in [
        " ".join(line.split(" ")).rstrip() for line in streamed
    ] or any(line.split() == ["x11", "187", "kB", "ok"] for line in streamed)
    assert with_room_to_grow([4, 5, 2], 0) == [4, 5, 2]
    assert with_room_to_grow([4, 5, 2], 100) == [8, 10, 4]  # at most as much again
    assert with_room_to_grow([4, 6], 5) == [6, 9]  # shared in proportion


def test_long_table_later_wider_cell_wraps_inside_the_frozen_column() -> None:
    text = table(8) + "| a much longer first cell | 1 | ok |\n"
    streamed = [line.rstrip() for line in render_streamed(list(text), 60).split("\n")]
    assert render_whole(text, 60).split("\n")[-3].startswith(" a much longer first cell")
    # the first column is twice as wide as "name" (room to grow); nothing is cut short
    assert streamed[-6:] == [" a much           1  ok", " longer", " first", " cell", "", ""]


def test_frozen_widths_draw_the_first_rows_as_rich_does() -> None:
    """The widths are read from rich's own layout (a private method): if rich changes it, this
    fails rather than tables drawing askew. A table filling the terminal has no room to grow
    and is drawn exactly as rich draws it."""
    for width in (20, 33, 60, 100):
        for cell in ("x", "a cell of several words", "longwordlongwordlongword"):
            text = table(FREEZE_CELLS // 3 + 1, cell)
            splitter = BlockSplitter()
            got = [*splitter.feed(text), *splitter.finish()]
            assert got[0].part is not None and got[0].part.first
            streamed, whole = render_streamed([text], width), render_whole(text, width)
            assert words_by_row(streamed) == words_by_row(whole), (width, cell)
            if max(len(line.rstrip()) for line in whole.split("\n")) >= width - 1:
                assert streamed == whole, (width, cell)


@pytest.mark.parametrize("rows", [2, 10], ids=["held-whole", "in-pieces"])
def test_table_shows_each_row_once_it_is_complete(rows: int) -> None:
    """A row is drawn when its line ends, not cell by cell as it arrives (a paragraph grows)."""
    text = table(rows) + "| zyxw | 1 | ok |\n\nqrst paragraph\n"
    run = stream([*chars(ContentDelta, text, 1), DONE], width=60, height=30)
    row = [write for write in run.out.writes if "zy" in write]
    assert row and all("zyxw" in write for write in row)
    assert any("qr" in write and "qrst" not in write for write in run.out.writes)


def test_table_ended_by_the_last_line_without_a_newline() -> None:
    text = table(10) + "# heading"
    assert pieces_of(text)[-2:] == [("", "table>"), ("# heading", None)]
    assert words_by_row(render_streamed(list(text), 40)) == words_by_row(render_whole(text, 40))


# --- reasoning -----------------------------------------------------------------------------


def _console(width: int) -> Console:
    return Console(file=io.StringIO(), width=width, color_system=None)


def _texts(rows: list[list[object]]) -> list[str]:
    return ["".join(getattr(s, "text", "") for s in row) for row in rows]


@pytest.mark.parametrize("width", [12, 30, 80])
def test_line_in_progress_wraps_from_its_last_row_exactly_like_a_whole_wrap(width: int) -> None:
    words = ["a", "word", "longer", "x" * 25, "日本語", "emoji😀", " ", "  ", "end.", "\x1b[31m"]
    for seed in range(12):
        rng = random.Random(seed * 31 + width)
        line = "".join(rng.choice(words) + rng.choice(["", " ", " "]) for _ in range(120))
        console = _console(width)
        stream = ThinkingStream()
        done = 0
        while done < len(line):
            done += rng.randint(1, 9)
            stream.take(line[:done])
            got = _texts(stream.live_rows(console, 10_000)[1:])
            expected = _texts(ruled_rows(console, sanitize(line[:done]), width))
            if not sanitize(line[:done]).strip():
                expected = []
            assert got == expected, (seed, done, line[:done])


def _shown(console: Console, renderables: list[object]) -> None:
    for renderable in renderables:
        console.print(renderable)


def assert_line_ends_show_the_whole(text: str, width: int, note: object = None) -> None:
    """At each line end of `text`, what shows is the text so far drawn at once."""
    for fed, shown, whole in _live_at_line_ends(text, width):
        assert shown.rstrip("\n") == whole.rstrip("\n"), (note, fed)


def _live_at_line_ends(text: str, width: int) -> list[tuple[str, str, str]]:
    """At each line end: the text so far, what the committed pieces and the live preview
    show, and what the text so far shows drawn at once."""
    console = Console(file=io.StringIO(), record=True, width=width, color_system=None)
    splitter = BlockSplitter()
    printer = BlockPrinter("monokai", splitter.references)
    fed, out = "", []
    for char in text:
        fed += char
        for piece in splitter.feed(char):
            _shown(console, printer.piece(piece))
        if char == "\n":
            committed = console.export_text(clear=False)
            preview = Console(file=io.StringIO(), record=True, width=width, color_system=None)
            if splitter.tail.strip():
                _shown(preview, printer.preview(splitter.tail, splitter.tail_part))
            out.append((fed, committed + preview.export_text(), render_whole(fed, width)))
    return out


@pytest.mark.parametrize("width", [24, 60, 100])
def test_deep_list_items_print_one_by_one_and_the_live_tail_matches_the_whole(
    width: int,
) -> None:
    """A list 8 levels deep: every nested item prints once the next starts, drawn as its own
    list below padding, and what shows at every line end is the text so far drawn at once."""
    depths = [*range(8), *range(6, 0, -1), 0]
    text = "".join("  " * d + f"- item {n} at depth {d} with words\n" for n, d in enumerate(depths))
    pieces = [p for p in pieces_of(text) if p[1] is not None]
    assert [text.count("\n") for text, _ in pieces] == [1] * len(depths)  # one item each
    assert_line_ends_show_the_whole(text, width)


@pytest.mark.parametrize("width", [30, 80])
def test_random_deep_lists_show_at_every_line_end_what_the_whole_shows(width: int) -> None:
    for seed in range(40):
        text = sanitize(deep_bullets(random.Random(seed)) + "\n")
        assert_line_ends_show_the_whole(text, width, seed)


def _styled(text: str, theme: Theme, width: int, chunks: list[str]) -> tuple[str, str, list[Piece]]:
    """`text` fed in `chunks` and its pieces printed, and drawn at once, in a terminal with
    colours and `theme`: both outputs with their styles, and the pieces."""

    def console() -> Console:
        return Console(
            file=io.StringIO(),
            width=width,
            theme=theme,
            color_system="truecolor",
            force_terminal=True,
        )

    streamed = console()
    splitter = BlockSplitter()
    printer = BlockPrinter("monokai", splitter.references)
    pieces = [p for chunk in chunks for p in splitter.feed(chunk)] + splitter.finish()
    for piece in pieces:
        for renderable in printer.piece(piece):
            streamed.print(renderable)
    whole = console()
    whole.print(SafeMarkdown(text))
    out = streamed.file.getvalue(), whole.file.getvalue()  # type: ignore[attr-defined]
    return *out, pieces


@pytest.mark.parametrize("item_style", ["none", "italic on grey11"])
def test_deep_list_pieces_carry_the_item_and_bullet_styles_of_the_whole(item_style: str) -> None:
    """Nested items drawn on their own below padding: every padding column and every word
    has the style it has in the list drawn at once (the bullet's style on the padding, the
    item's style once per level around it), under a theme that styles both."""
    theme = Theme({"markdown.item": item_style, "markdown.item.bullet": "bold red"})
    depths = [*range(8), *range(6, 0, -1), 0]
    text = "".join(
        "  " * d + f"- item {n} at depth {d} with **bold** words\n" for n, d in enumerate(depths)
    )

    streamed, whole, pieces = _styled(text, theme, 50, list(text))
    assert sum(1 for p in pieces if p.part is not None and p.part.depth) >= 10
    assert streamed == whole


def _live_as_lines_begin(text: str, width: int) -> tuple[list[tuple[str, str, str]], int]:
    """As the live reply feeds a splitter: complete lines, then the line in progress offered
    with `feed_partial`. Where that finished something, and at each line end: the text so far,
    what the pieces and the live preview show, and what the text so far shows drawn at once;
    and how many times the line in progress finished pieces."""
    console = Console(file=io.StringIO(), record=True, width=width, color_system=None)
    splitter = BlockSplitter()
    printer = BlockPrinter("monokai", splitter.references)
    out, early, given = [], 0, 0
    for end in range(1, len(text) + 1):
        fed = text[:end]
        complete = fed.rfind("\n") + 1
        partial = fed[complete:]
        if complete > given:
            for piece in splitter.feed(fed[given:complete]):
                _shown(console, printer.piece(piece))
            given = complete
        finished = splitter.feed_partial(partial) if partial else []
        early += bool(finished)
        for piece in finished:
            _shown(console, printer.piece(piece))
        if finished or not partial:
            preview = Console(file=io.StringIO(), record=True, width=width, color_system=None)
            tail = splitter.tail + partial
            if tail.strip():
                _shown(preview, printer.preview(tail, splitter.tail_part))
            shown = console.export_text(clear=False) + preview.export_text()
            out.append((fed, shown, render_whole(fed, width)))
    return out, early


@pytest.mark.parametrize("width", [30, 80])
def test_an_item_begun_on_the_line_in_progress_finishes_the_one_before(width: int) -> None:
    """A line that has begun with a bullet and a letter finishes the item before it at once
    (at any depth, further in or out): what shows is then the text so far drawn at once, and
    so at every line end, for deep lists of every kind (the random ones hold quotes, code,
    numbered lists, lazy lines and tabs, where nothing may finish early)."""
    depths = [*range(8), *range(6, 0, -1), 0]
    deep = "".join("  " * d + f"- item {n} at depth {d}\n" for n, d in enumerate(depths))
    checks, early = _live_as_lines_begin(deep, width)
    assert early == len(depths) - 1  # every item but the first finished as the next began
    texts = [deep] + [sanitize(deep_bullets(random.Random(seed)) + "\n") for seed in range(40)]
    for text in texts:
        checks, _ = _live_as_lines_begin(text, width)
        for fed, shown, whole in checks:
            assert shown.rstrip("\n") == whole.rstrip("\n"), fed


def _random_table(rng: random.Random) -> str:
    """A table as models write them: 1-6 columns, any alignment, cells of words, long words,
    wide characters, inline code, emphasis, links, empty cells, rows short of cells or over."""
    columns = rng.randint(1, 6)
    words = ["ok", "a much longer cell here", "x" * 30, "日本語の表", "😀 emoji", "`code`"]
    words += ["**bold** text", "[link](https://example.com/a)", "", "3.5 ms", "a\\|b"]
    aligns = [rng.choice(["---", ":---", "---:", ":---:"]) for _ in range(columns)]
    lines = [
        "| " + " | ".join(f"h{c}" for c in range(columns)) + " |",
        "|" + "|".join(aligns) + "|",
    ]
    for _ in range(rng.randint(4, 14)):
        count = max(1, columns + rng.choice([0, 0, 0, -1, 1]))
        lines.append("| " + " | ".join(rng.choice(words) for _ in range(count)) + " |")
    return "\n".join(lines) + "\n"


def _terminal(encoding: str) -> io.StringIO:
    """A file that says its encoding, as a terminal does (rich picks its box from it)."""

    class Terminal(io.StringIO):
        pass

    Terminal.encoding = encoding  # type: ignore[misc]
    return Terminal()


def _counted(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[int]:
    """Patch `owner.name` to count its calls: the list's one number, as they happen."""
    calls = [0]
    original = getattr(owner, name)

    def counted(*args: object, **kwargs: object) -> object:
        calls[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


@pytest.mark.parametrize("encoding", ["utf-8", "ascii"])
def test_later_table_rows_are_drawn_as_a_rich_table_draws_them(
    encoding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long table's later pieces are drawn from the table's noted layout, not through a new
    rich Table each: the bytes are those the Table gives, at every width, in an ASCII-only
    terminal too (where rich changes the box)."""

    def drawn(text: str, width: int) -> str:
        console = Console(
            file=_terminal(encoding), width=width, force_terminal=True, color_system="truecolor"
        )
        splitter = BlockSplitter(freeze_cells=4)
        printer = BlockPrinter("monokai", splitter.references)
        for line in text.splitlines(keepends=True):
            for piece in splitter.feed(line):
                _shown(console, printer.piece(piece))
        for piece in splitter.finish():
            _shown(console, printer.piece(piece))
        return console.file.getvalue()  # type: ignore[attr-defined]

    from termchat.render import elements, tablerows

    drawn_rows = _counted(monkeypatch, elements, "draw_rows")
    for seed in range(25):
        rng = random.Random(seed)
        text = _random_table(rng)
        for width in (6, 24, 50, 100):
            fast = drawn(text, width)
            with monkeypatch.context() as patch:
                patch.setattr(tablerows.RowLayout, "of", classmethod(lambda *a: None))
                through_rich = drawn(text, width)
            assert fast == through_rich, (seed, width, text)
    assert drawn_rows[0] > 25 * 4 * 3  # most later pieces took the noted layout
    assert ("─" in fast) == (encoding == "utf-8")  # an ASCII-only terminal: rich's ASCII box


def test_a_line_begun_that_finishes_nothing_is_read_once() -> None:
    """Where a begun item finishes nothing (bullets in a numbered list nested in a bulleted
    one, which print with their item), the splitter reads that line's start once, not again
    on every frame while the line goes on."""
    splitter = BlockSplitter()
    splitter.feed("- top\n  1. one\n     - a\n")
    assert splitter.tail_part is not None and splitter.tail_part.kind == "list"
    parses = 0
    parse = splitter._md.parse

    def counted(*args: object, **kwargs: object) -> object:
        nonlocal parses
        parses += 1
        return parse(*args, **kwargs)  # type: ignore[arg-type]

    splitter._md.parse = counted  # type: ignore[method-assign]
    line = "     - b goes on and on"
    for end in range(6, len(line) + 1):
        assert splitter.feed_partial(line[:end]) == []
    assert parses <= 3


def _numbered_with_details(items: int, details: int) -> str:
    lines = []
    for n in range(1, items + 1):
        lines.append(f"{n}. Step {n} of the plan\n")
        for k in range(details):
            lines.append(f"{'   ' if n < 10 else '    '}- detail {k} of step {n} with words\n")
            if k % 3 == 2:
                lines.append(f"{'     ' if n < 10 else '      '}- and a note under it\n")
    return "".join(lines)


@pytest.mark.parametrize("width", [30, 80])
def test_bullets_in_a_long_numbered_list_print_one_by_one(width: int) -> None:
    """Once a numbered list's width is fixed (9 items), the bullets inside its items print
    one by one like any nested item (a step with many details stays one item live, not the
    whole step redrawn every frame), and what shows is the text so far drawn at once."""
    text = _numbered_with_details(12, 2)  # held whole until the ninth item
    nested = [p for p in pieces_of(text) if p[1] is not None and p[0].lstrip().startswith("-")]
    assert len(nested) >= 3 * 2  # the details of the items after the ninth, one by one
    checks, _ = _live_as_lines_begin(text, width)
    for fed, shown, whole in checks:
        assert shown.rstrip("\n") == whole.rstrip("\n"), fed


def test_numbered_list_details_carry_the_number_style_of_the_whole() -> None:
    theme = Theme(
        {
            "markdown.item": "italic",
            "markdown.item.bullet": "bold red",
            "markdown.item.number": "underline blue",
        }
    )
    text = _numbered_with_details(11, 2)  # held until its ninth item: its own width
    streamed, whole, pieces = _styled(text, theme, 60, text.splitlines(keepends=True))
    assert any(p.part is not None and p.part.numbered for p in pieces)
    assert streamed == whole


@pytest.mark.parametrize("items", [1, 3, 8, 9, 12])
def test_a_long_numbered_list_prints_before_its_width_is_known(items: int) -> None:
    """A numbered list longer than HOLD_LINES is not held whole until its ninth item (every
    frame drawing it all again): its items and their details print as they finish, as wide as
    a list of fewer items. With fewer, what shows is the text so far drawn at once; with 9
    or more, the list is one column narrower than rich draws it, and nothing is lost."""
    text = _numbered_with_details(items, HOLD_LINES if items == 1 else HOLD_LINES // 4)
    printed = [p for p in pieces_of(text) if p[1] is not None]
    assert len(printed) > HOLD_LINES // 4  # item by item, detail by detail
    checks, _ = _live_as_lines_begin(text, 70)
    for fed, shown, whole in checks:
        if fed.count("Step") < 9:
            assert shown.rstrip("\n") == whole.rstrip("\n"), fed
        else:
            assert shown.split() == whole.split(), fed  # the same words, the same order
            narrow = next(row for row in shown.split("\n") if "Step 1 " in row)
            wide = next(row for row in whole.split("\n") if "Step 1 " in row)
            assert narrow.index("Step") == wide.index("Step") - 1, fed  # one column left


@pytest.mark.parametrize("items", [3, 12])
def test_a_long_numbered_list_looks_the_same_however_it_arrives(items: int) -> None:
    """Whether a long numbered list arrives line by line, character by character or in one
    piece with what follows it, it is drawn alike: its width is decided by its first
    HOLD_LINES lines, not by where the network cut it."""
    text = _numbered_with_details(items, HOLD_LINES // 4) + "\nafter\n"
    by_line = render_streamed(text.splitlines(keepends=True), 40)
    assert render_streamed([text], 40) == by_line
    assert render_streamed(list(text), 40) == by_line


@pytest.mark.parametrize(
    "text",
    [
        "- x\n- a | b\n  |---|---|\n  | 1 | 2 |\n- y\n",
        "* x\n* a | b\n  |---|---|\n* y\n\nafter\n",
        "".join(f"{n}. item {n}\n" for n in range(1, 10)) + "10. a | b\n    |---|---|\n11. z\n",
    ],
    ids=["bullets", "stars", "numbered"],
)
def test_a_later_item_that_reads_as_a_table_alone_stays_an_item(text: str) -> None:
    """A later item whose text and next line would make a table when read on its own (a
    table rule comes before the list rule) is read and drawn as the list's next item, with a
    table inside it, as the whole list draws it."""
    for width in (30, 60):
        assert render_streamed(list(text), width) == render_whole(text, width)
        assert_line_ends_show_the_whole(text, width)


@pytest.mark.parametrize(
    "text",
    [
        "- a\n- b\n1. c d\n",
        "- a\n- b\n- c\n3. next list\n",
        "* a\n* b\n1. c\n2. d\n",
    ],
)
def test_a_numbered_list_begun_right_after_bullets_shows_its_own_numbers(text: str) -> None:
    """Found fuzzing: while the line of a numbered list that begins right below a bulleted
    one arrived, the bulleted list's count numbered it (`2 c` for `1. c`) until it ended."""
    _frames_in_sizes(text, 40, (1, 4))


@pytest.mark.parametrize(
    "text",
    [
        "- a\n  - b\n+ `c` d\n",  # another bullet: another list, a blank line above it
        "+ a\n+ b\n- 2024 c\n",
        "- a\n- > quoted\n- `code` e\n",
        "- a\n  - b\n+ **b** c\n",
        "* a\n* b\n* * *\n",  # a thematic break, not an item
        "- a\n- b\n- - -\n",
    ],
)
def test_a_bullet_begun_with_other_than_a_letter_starts_its_item_at_once(text: str) -> None:
    """Found fuzzing: a line begun with a bullet and a backtick or a digit was drawn as part
    of the item above until it ended, so a new list below it showed no blank line above."""
    _frames_in_sizes(text, 40, (1, 4))


def _wrapping_table(rng: random.Random) -> str:
    """A table whose cells wrap at narrow widths: long words, sentences, a long header."""
    columns = rng.randint(1, 4)
    words = ["a fairly long sentence that has to wrap", "supercalifragilistic" * 2, "ok", ""]
    lines = [
        "| " + " | ".join(rng.choice(["h", "a rather long heading"]) for _ in range(columns)),
        "|" + "|".join(rng.choice(["---", ":---:", "---:"]) for _ in range(columns)) + "|",
    ]
    for _ in range(rng.randint(0, 5)):
        lines.append("| " + " | ".join(rng.choice(words) for _ in range(columns)) + " |")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("encoding", ["utf-8", "ascii"])
def test_a_whole_table_is_drawn_as_its_rich_table_draws_it(
    encoding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A table drawn whole (a short one held while it streams, one printed when it ends, one
    resumed) is drawn from its layout, not through rich's Table: the same segments as the
    Table gives, line for line, at every width, cells that wrap and an ASCII-only terminal
    included."""
    from termchat.render import elements, tablerows
    from termchat.render.markdown import SafeMarkdown

    console = Console(
        file=_terminal(encoding), width=100, force_terminal=True, color_system="truecolor"
    )
    laid_out = _counted(monkeypatch, elements, "draw_table")
    for seed in range(60):
        rng = random.Random(seed)
        text = _random_table(rng) if seed % 2 else _wrapping_table(rng)
        for width in (8, 24, 50, 100):
            options = console.options.update(width=width)
            fast = console.render_lines(SafeMarkdown(text), options)
            with monkeypatch.context() as patch:
                patch.setattr(tablerows.RowLayout, "of", classmethod(lambda *a: None))
                through_rich = console.render_lines(SafeMarkdown(text), options)
            assert fast == through_rich, (seed, width, text)
    assert laid_out[0] >= 60 * 4


@pytest.mark.parametrize("header", [True, False])
def test_draw_table_draws_what_the_table_draws(header: bool) -> None:
    """`draw_table` against rich's own drawing of the same Table, with and without its
    header (its first body row then takes the header's edges and padding), boxes whose
    header row differs, padding above and below cells, padded edges or not."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from termchat.render.tablerows import RowLayout, draw_table

    console = Console(width=100, force_terminal=True, color_system="truecolor")
    rng = random.Random(11)
    for _ in range(40):
        table = Table(
            box=rng.choice([box.SIMPLE, box.HEAVY_HEAD, box.ASCII_DOUBLE_HEAD]),
            padding=rng.choice([(0, 1), (1, 1)]),
            pad_edge=rng.random() < 0.5,
            collapse_padding=rng.random() < 0.5,
            show_header=header,
        )
        columns = rng.randint(1, 4)
        for index in range(columns):
            table.add_column(Text(f"head {index}"), justify=rng.choice(["left", "right"]))
        for _ in range(rng.randint(0, 4)):
            table.add_row(*(Text(rng.choice(["a", "a longer cell", ""])) for _ in range(columns)))
        options = console.options.update(width=rng.choice([10, 30, 80]))
        layout = RowLayout.of(table, console, options)
        assert layout is not None
        drawn = list(draw_table(console, layout, table))
        assert drawn == list(console.render(table, options)), (header, options.max_width)
