"""Property tests for the Markdown block splitter: any text, cut into any pieces, never raises,
and the finished blocks and the tail always join back to exactly the text fed so far."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from termchat.render.blocks import BlockSplitter, make_parser
from termchat.render.sanitize import sanitize

FAST = settings(max_examples=300, deadline=None, database=None)

# Lines that open, continue and close every kind of top-level block, nested and broken ones.
LINES = [
    "",
    " ",
    "text",
    "more text",
    "# heading",
    "## heading ##",
    "Setext",
    "===",
    "---",
    "***",
    "```",
    "```python",
    "~~~",
    "~~~~ text",
    "   ```",
    "    indented code",
    "\tcode",
    "- item",
    "  - nested",
    "1. first",
    "2) second",
    "> quote",
    "> - quoted item",
    ">",
    "| a | b |",
    "|---|:-:|",
    "| 1 | 2 |",
    "[ref]: https://example.com",
    "see [ref] and [x][ref]",
    "<div>",
    "</div>",
    "\x1b[31mred\x1b[0m",
    "日本語 😀",
    "\r",
]
markdown = st.lists(st.sampled_from(LINES), max_size=30).map("\n".join)
pieces_text = st.one_of(markdown, st.text(max_size=200))
ends = st.sampled_from(["", "\n", "\n\n"])
points = st.lists(st.integers(min_value=0, max_value=800), max_size=15)


def cut(text: str, at: list[int]) -> list[str]:
    bounds = sorted({0, len(text), *(min(p, len(text)) for p in at)})
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


@FAST
@given(body=pieces_text, end=ends, at=points)
def test_blocks_join_back_to_the_text_at_every_step(body: str, end: str, at: list[int]) -> None:
    text = body + end
    splitter = BlockSplitter()
    finished: list[str] = []
    fed = ""
    for piece in cut(text, at):
        fed += piece
        blocks = [block.text for block in splitter.feed(piece)]
        assert all(blocks), "an empty block"
        assert all(block.endswith("\n") for block in blocks)
        finished += blocks
        assert "".join(finished) + splitter.tail == fed
    finished += [block.text for block in splitter.finish()]
    joined = "".join(finished)
    assert text.startswith(joined)
    assert not text[len(joined) :].strip()  # only a blank rest is left out
    assert splitter.tail == ""


@FAST
@given(body=pieces_text, end=ends, at=points)
def test_lines_begun_finish_nothing_twice_and_lose_nothing(
    body: str, end: str, at: list[int]
) -> None:
    """Fed as the live reply feeds it (complete lines, then the line in progress offered to
    `feed_partial`): the pieces and the tail are the complete text, and the rest is kept."""
    text = body + end
    splitter = BlockSplitter()
    finished: list[str] = []
    given = 0
    for stop in sorted({min(p, len(text)) for p in at} | {len(text)}):
        complete = text.rfind("\n", 0, stop) + 1
        if complete > given:
            finished += [block.text for block in splitter.feed(text[given:complete])]
            given = complete
        early = [block.text for block in splitter.feed_partial(text[complete:stop])]
        assert all(block.endswith("\n") for block in early)
        finished += early
        assert "".join(finished) + splitter.tail == text[:complete]
    finished += [block.text for block in splitter.feed(text[given:])]
    finished += [block.text for block in splitter.finish()]
    joined = "".join(finished)
    assert text.startswith(joined)
    assert not text[len(joined) :].strip()


@FAST
@given(body=pieces_text, at=points)
def test_open_fence_lines_are_what_the_parser_makes_of_the_tail(body: str, at: list[int]) -> None:
    """While the tail is a growing fenced code block, `open_fence.lines` (kept up to date line
    by line, without parsing again) are the code lines the parser finds in the tail.

    The text is sanitized first, as the live view feeds it: the parser makes a carriage return
    a line end, the line scanner would keep it (sanitized text has none).
    """
    splitter = BlockSplitter()
    parser = make_parser()
    for piece in cut(sanitize(body), at):
        splitter.feed(piece)
        fence = splitter.open_fence
        if fence is None:
            continue
        complete = splitter.tail[: splitter.tail.rfind("\n") + 1]
        tokens = [t for t in parser.parse(complete) if t.level == 0 and t.nesting >= 0]
        assert [t.type for t in tokens] == ["fence"]
        assert fence.lines == tokens[0].content.split("\n")[:-1]
