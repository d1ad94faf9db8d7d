"""A long paragraph or quote streams at a cost that grows with its length, not its square,
and every frame still shows what drawing the text so far at once shows."""

from __future__ import annotations

import io
import random
import re

import pytest
from rich.console import Console
from test_render_live import Screen, Writes

from termchat.accumulator import Reply
from termchat.messages import ContentDelta
from termchat.render import Renderer
from termchat.render import markdown as markdown_module
from termchat.render.blocks import BlockSplitter
from termchat.render.growing import GrowingBlock, may_still_open
from termchat.render.markdown import BlockPrinter, SafeMarkdown

SENTENCE = "the model reads each token as it arrives and keeps only the unfinished block"
PLAIN = SENTENCE.split(" ")
# words that open, close or look like inline constructs, in and out of their pairs
MARKED = [
    "**bold words**",
    "*it*",
    "`code span`",
    "[link text](https://e.com/a)",
    "~~gone~~",
    "5 * 3",
    "a*b",
    "snake_case",
    "_under",
    "*open",
    "close*",
    "`tick",
    "[open",
    "bracket]",
    "[1]",
    "](x)",
    "&amp;",
    "&#x202e;",
    "\\*",
    "日本語",
    "emoji😀",
    "x" * 70,
    "<https://e.com/auto>",
]


def _paragraph(rng: random.Random, words: int, marked: float) -> str:
    out = []
    for _ in range(words):
        out.append(rng.choice(MARKED) if rng.random() < marked else rng.choice(PLAIN))
        out.append("\n" if rng.random() < 0.08 else " ")
    return "".join(out).strip() + "\n"


def _quote(rng: random.Random, words: int, marked: float) -> str:
    out = []
    for index, line in enumerate(_paragraph(rng, words, marked).split("\n")[:-1]):
        lazy = index and rng.random() < 0.15
        out.append(line if lazy else "> " + line)
        if rng.random() < 0.05:
            out.append(">")  # a second paragraph in the quote
    return "\n".join(out) + "\n"


def _text(rng: random.Random, marked: float) -> str:
    blocks = []
    for _ in range(rng.randint(1, 3)):
        make = _quote if rng.random() < 0.4 else _paragraph
        blocks.append(make(rng, rng.randint(20, 160), marked))
    return "\n".join(blocks)


def _shown(text: str, width: int) -> str:
    """`text` drawn at once as the live view draws an answer (its code blocks numbered)."""
    console = Console(file=io.StringIO(), record=True, width=width, color_system=None)
    console.print(SafeMarkdown(text, code_start=1))
    lines = [line.rstrip() for line in console.export_text().split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def _frames_show_the_whole(text: str, width: int, pieces: list[str]) -> None:
    """Stream `text` in `pieces`, a frame after each: every frame's screen shows the text
    so far drawn at once."""
    out = Writes()
    renderer = Renderer(out, width=width, height=3000, force_terminal=True, color_system=None)
    live = renderer.live_reply("qwen3", show_thinking=True)
    reply = Reply("qwen3")
    screen = Screen(width, 3000)
    written = 0
    for piece in pieces:
        reply.feed(ContentDelta(piece))
        live.update(reply)
        live.refresh()
        for frame in out.writes[written:]:
            screen.feed(frame)
        written = len(out.writes)
        fed = reply.content  # what the reply holds so far (a `<` may be held back)
        complete, _, partial = fed.rpartition("\n")
        if re.match(" {0,3}(```|~~~)", partial):  # shown once its language is known
            fed = complete + "\n" if complete else ""
        if fed:
            assert screen.text() == _shown(fed, width), (fed[-80:], width)
    live.finish(reply)
    for frame in out.writes[written:]:
        screen.feed(frame)
    whole = _shown(reply.content, width)
    assert screen.text().startswith(whole + "\n")  # then the footer


def _frames_in_sizes(text: str, width: int, sizes: tuple[int, ...]) -> None:
    """`_frames_show_the_whole` with `text` cut into pieces of each of `sizes`."""
    for size in sizes:
        _frames_show_the_whole(
            text, width, [text[at : at + size] for at in range(0, len(text), size)]
        )


@pytest.mark.parametrize("width", [24, 61, 100])
def test_every_frame_of_long_paragraphs_and_quotes_shows_the_whole(width: int) -> None:
    for seed in range(5):
        rng = random.Random(seed * 7 + width)
        text = _text(rng, rng.choice([0.0, 0.05, 0.3]))
        pieces, at = [], 0
        while at < len(text):
            size = rng.randint(1, 40)
            pieces.append(text[at : at + size])
            at += size
        _frames_show_the_whole(text, width, pieces)


def test_rows_settle_for_plain_text_and_match_the_whole_block_styled() -> None:
    """GrowingBlock's rows, styles and all, are what `preview` draws for the whole tail; for
    plain text most of them are kept from frame to frame."""
    console = Console(width=30, color_system="truecolor", force_terminal=True)
    printer = BlockPrinter("monokai", {})
    printer.separator_due = True
    for quoted in (False, True):
        block, whole = GrowingBlock(), GrowingBlock()
        text = " ".join(PLAIN * 120)
        text = "> " + text.replace(" keeps", "\n> keeps") if quoted else text
        for end in range(1, len(text), 60):  # about two rows a frame
            got = block.rows(console, printer, text[:end], quoted)
            assert got == whole._draw(console, printer.preview(text[:end])), (quoted, end)
        assert block.drawn < 8 * len(text)  # drawn whole every frame: ~75 ×


@pytest.mark.parametrize(
    ("text", "still_open"),
    [
        ("plain words ", False),
        ("**closed** and *it* ", False),
        ("an **open one ", True),
        ("a `code span` ", False),
        ("a `tick ", True),
        ("[a link](https://x) ", False),
        ("[open bracket ", True),
        ("[a [nested] one ", True),
        ("citation [1] and array[i] ", False),
        ('[text](https://x "a title ', True),
        ("5 * 3 and snake_case and_more ", False),
        ("a*b ", True),
        ("_under ", True),
        ("~~strike ", True),
        ("one ~ tilde ", False),
        ("<https://e.com/auto> ", False),
    ],
)
def test_what_text_after_a_settled_point_could_still_change(text: str, still_open: bool) -> None:
    assert may_still_open(text) is still_open


def _drawn_while_streaming(text: str, size: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """Characters of Markdown parsed to be drawn while `text` streams `size` at a time, a
    frame after each."""
    drawn = 0
    made = markdown_module.SafeMarkdown.__init__

    def counted(self: markdown_module.SafeMarkdown, text: str, **kwargs: object) -> None:
        nonlocal drawn
        drawn += len(text)
        made(self, text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(markdown_module.SafeMarkdown, "__init__", counted)
    renderer = Renderer(Writes(), width=80, height=40, force_terminal=True, color_system=None)
    live = renderer.live_reply("qwen3", show_thinking=True)
    reply = Reply("qwen3")
    for start in range(0, len(text), size):
        reply.feed(ContentDelta(text[start : start + size]))
        live.update(reply)
        live.refresh()
    live.stop()
    return drawn


@pytest.mark.parametrize("shape", ["one line", "many lines", "quote"])
def test_a_long_paragraph_is_not_drawn_whole_every_frame(
    shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found measuring: an 8k-token paragraph cost 3.4 CPU-s, a long quote 9 s, against
    0.2 s at 2k tokens; every frame drew the whole paragraph again."""
    words = " ".join(PLAIN * 400)  # ~32 kB, ~6k tokens
    text = {
        "one line": words + "\n",
        "many lines": words.replace(" block ", " block\n") + "\n",
        "quote": "> " + words.replace(" block ", " block\n> ") + "\n",
    }[shape]
    drawn = _drawn_while_streaming(text, 80, monkeypatch)
    assert drawn < 12 * len(text)  # drawn whole each frame: ~200 ×


@pytest.mark.parametrize("quoted", [False, True])
def test_the_splitter_reads_a_long_paragraph_line_about_once(
    quoted: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each completed line of a paragraph or quote parsed the whole of it again."""
    splitter = BlockSplitter()
    parsed = 0
    parse = splitter._md.parse

    def counted(source: str, env: object = None) -> object:
        nonlocal parsed
        parsed += len(source)
        return parse(source, env)  # type: ignore[arg-type]

    monkeypatch.setattr(splitter._md, "parse", counted)
    body = "".join(f"line {n} of a long paragraph\n" for n in range(600))
    text = body.replace("line", "> line") if quoted else body
    for line in text.splitlines(keepends=True):
        assert splitter.feed(line) == []
        assert splitter.growing_with("") == ("quote" if quoted else "paragraph")
    pieces = splitter.feed("\n")  # a blank line ends it
    assert [piece.text for piece in pieces] == [text]
    assert parsed < 4 * len(text)  # all of it at every line: 300 ×


WORDS = " ".join(PLAIN)


@pytest.mark.parametrize(
    ("text", "width", "first", "together"),
    [
        pytest.param(
            " ".join([WORDS] * 3) + " [foo]: /url 'a" + " title" * 4 + "'",
            16,
            0,
            0,
            id="a-reference-definition-completed-at-a-settled-row-start",
        ),
        pytest.param(
            " ".join([WORDS] * 3) + "\nmore words\tand\ta\ttab\tor\ttwo\n",
            12,
            0,
            0,
            id="a-tab-after-a-settled-point",
        ),
        pytest.param(
            "> " + " ".join([WORDS] * 2) + "\n> ***\n", 30, 0, 0, id="a-quote-ending-in-a-break"
        ),
        pytest.param(
            "> " + " ".join([WORDS] * 2) + "\n> _ _ _\n", 30, 0, 0, id="a-quote-ending-in-a-break_"
        ),
        pytest.param(
            "> " + " ".join([WORDS] * 2) + "\n>\t===\n", 20, 0, 0, id="a-tab-before-an-underline"
        ),
        pytest.param(
            f"{WORDS} {WORDS} *{WORDS}* and more words after it\n",
            20,
            0,
            0,
            id="emphasis-opened-at-a-settled-row-start-fits-the-row-above-once-closed",
        ),
        pytest.param(
            f"{WORDS} {WORDS} `{WORDS}` and more words after it\n",
            20,
            0,
            0,
            id="a-code-span-opened-at-a-settled-row-start",
        ),
        pytest.param(
            f"> {WORDS}\n>\n> [foo]: http://foo.example\n> short line\n> {WORDS} [foo] {WORDS}\n",
            30,
            2,
            2,
            id="a-quoted-reference-definition-read-with-the-next-line",
        ),
    ],
)
def test_frames_show_the_whole_where_text_after_a_settled_point_recasts_it(
    text: str, width: int, first: int, together: int
) -> None:
    """Found in review: each drew the rows kept above a settled point (or the block's blank
    line above) while the whole draws them otherwise. The `first` lines arrive in one piece,
    the `together` lines after them in another (a frame gathers the lines that arrived since
    the last), then the rest a character at a time."""
    lines = text.splitlines(keepends=True)
    pieces = ["".join(lines[:first]), "".join(lines[first : first + together])]
    pieces = [piece for piece in pieces if piece]
    _frames_show_the_whole(text, width, pieces + list(text[len("".join(pieces)) :]))
