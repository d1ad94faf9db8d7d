"""The nested list's splitter reads its commonest tails without the parser (`plain_items`):
what it gives must be what the parser's reading gives, for every tail it takes."""

from __future__ import annotations

import random

import pytest
from test_blocks import random_pieces, render_streamed, render_whole

from termchat.render.blocks import BlockSplitter, make_parser
from termchat.render.indent import dedent
from termchat.render.nested import Cut, NestedSplitter, plain_items
from termchat.render.pieces import Part

_CONTENTS = ["word and more", "Ab", "x", "a - b", "a | b", "a `b` *c*", "[a]: b", "1. a", "- a"]
_CONTENTS += ["# a", "> a", "```", "***", "1) a", "", "\ta", "a\r"]


def _line(rng: random.Random, indent: int, bullet: str) -> str:
    spaces = " " * rng.choice([1, 1, 2, 3, 4, 5])
    if rng.random() < 0.1:
        return " " * indent + rng.choice(_CONTENTS) + "\n"  # not an item's line
    content = rng.choice(_CONTENTS) if rng.random() < 0.4 else "Some words"
    return " " * indent + bullet + spaces + content + "\n"


def _tail(rng: random.Random) -> tuple[Part, str]:
    """A nested item's line, and below it mostly a sibling's or a child's, at any depth."""
    holders = tuple(sorted(rng.sample(range(2, 12), rng.choice([1, 1, 2, 3]))))
    part = Part("list", holders=holders, head="- a\n", numbered=rng.random() < 0.2)
    pad = " " * holders[-1]
    indent, bullet = rng.choice([0, 0, 1, 2, 3, 4, 6]), rng.choice("-*+")
    lines = [_line(rng, indent, bullet)]
    for _ in range(rng.choice([0, 1, 1, 1, 2, 3])):
        column = len(lines[-1]) - len(lines[-1][indent + 1 :].lstrip(" "))
        below = rng.choice([indent, column, column, column + rng.randint(0, 5), rng.randint(0, 9)])
        lines.append(_line(rng, below, bullet if rng.random() < 0.8 else rng.choice("-*+")))
    return part, "".join(pad + line for line in lines)


def test_plain_items_read_as_the_parser_reads_them() -> None:
    splitter = NestedSplitter(make_parser().disable("inline"), lambda env: None)
    rng = random.Random(11)
    taken = {0: 0, 1: 0, 2: 0}  # tails read without the parser, by lines cut off
    for _ in range(5000):
        part, complete = _tail(rng)
        lazy: list[int] = []
        text = dedent(complete, part.column, lazy)
        if text is None:
            continue
        plain = plain_items(part, complete, text)
        if plain is None:
            continue
        assert plain == splitter.parsed(part, complete, text, lazy), (part, complete)
        kind = 0 if not plain.offset else 1 if plain.part and plain.part.depth == part.depth else 2
        taken[kind] += 1
    # each way through was taken, often: a line alone, a sibling below it, a child below it
    assert min(taken.values()) > 100, taken


@pytest.mark.parametrize(
    ("complete", "expected"),
    [
        ("  - a b\n", Cut()),
        ("  - a b\n  - c\n", Cut(8, Part("list", holders=(2,), head="- x\n  - a b\n"))),
        ("  - a b\n    + c\n", Cut(8, Part("list", holders=(2, 4), head="- x\n  - a b\n"))),
        ("  - a b\n    + c\n  - d\n", Cut(8, Part("list", holders=(2, 4), head="- x\n  - a b\n"))),
        ("  - a b\n  + c\n", None),  # another bullet: a new list
        ("  - a b\n  - c\n  d\n", None),  # a line that is no item's
        ("  - a b\n        - c\n", None),  # a lazy line of the item's paragraph
        ("  - 1. a\n", None),  # a numbered list in the item
        ("  - [a]: b\n", None),  # a reference definition
        ("  -     a\n", None),  # code in the item
    ],
)
def test_plain_items_take_only_what_they_can_read(complete: str, expected: Cut | None) -> None:
    part = Part("list", holders=(2,), head="- x\n")
    text = dedent(complete, part.column)
    assert text is not None
    assert plain_items(part, complete, text) == expected


WORDS = ("the", "model", "reads", "each", "token", "as", "it", "arrives", "and", "keeps", "only")


def _nested_list(rng: random.Random) -> str:
    """A list nested up to 6 deep (bulleted, or numbered at the top), mostly items of plain
    words, now and then another bullet, wider spaces, an indent off by one, a blank or
    continuation line, a numbered item or a quote."""
    lines, depth, numbered = [], 0, rng.random() < 0.2  # a numbered list at the top
    for number in range(1, rng.randint(4, 40)):
        depth = max(0, min(6, depth + rng.choice([-2, -1, -1, 0, 1, 1, 1])))
        pad = " " * (2 * depth + (rng.random() < 0.05))
        bullet = "-" if rng.random() < 0.9 else rng.choice("*+")
        spaces = " " * (1 if rng.random() < 0.9 else rng.randint(2, 5))
        roll = rng.random()
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 8)))
        if roll < 0.04:
            lines.append("")
        elif roll < 0.08:
            lines.append(pad + "  " + words)  # goes on the item's paragraph
        elif roll < 0.1:
            lines.append(pad + "1. " + words)
        elif roll < 0.12:
            lines.append(pad + bullet + spaces + "> " + words)
        elif numbered and not depth:
            lines.append(f"{number}. {words}")
        else:
            lines.append(pad + bullet + spaces + words.capitalize())
    return "\n".join(lines) + "\n"


def _split_frames(text: str, rng: random.Random) -> list[tuple[object, ...]]:
    """What the splitter gives at each frame of `text` streamed in random chunks, fed as the
    live view feeds it (complete lines, then the line in progress)."""
    splitter, seen, line = BlockSplitter(), [], ""
    for chunk in random_pieces(rng, text):
        line += chunk
        cut = line.rfind("\n") + 1
        pieces = splitter.feed(line[:cut]) if cut else []
        line = line[cut:]
        pieces += splitter.feed_partial(line)
        seen.append((pieces, splitter.tail, splitter.tail_part))
    # as the live view ends: the line still in progress, then the end
    seen.append((splitter.feed(line) + splitter.finish(), splitter.tail, splitter.tail_part))
    return seen


def test_a_nested_list_splits_as_the_parser_alone_splits_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The splitter with its parser-free readings (`plain_items`, `next_top_item`) cuts every
    frame of random nested lists where it cuts them with the parser alone."""
    texts = [_nested_list(random.Random(seed)) for seed in range(150)]
    with monkeypatch.context() as patch:
        patch.setattr("termchat.render.nested.plain_items", lambda *args: None)
        patch.setattr("termchat.render.blocks.plain_items", lambda *args: None)
        patch.setattr("termchat.render.blocks.next_top_item", lambda *args: None)
        parsed = [_split_frames(text, random.Random(seed)) for seed, text in enumerate(texts)]
    for seed, text in enumerate(texts):
        assert _split_frames(text, random.Random(seed)) == parsed[seed], text


def _deep(levels: int) -> str:
    """A list `levels` deep, an item back near the top, and the next top-level item."""
    return "".join("  " * i + f"- a{i}\n" for i in range(levels)) + "  - b\n- c\n"


@pytest.mark.parametrize("levels", [9, 10, 16, 40])
def test_a_list_deeper_than_ten_levels_loses_nothing(
    levels: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parser's nesting limit (ten lists in CommonMark's preset) took in every line after
    the tenth level: they were drawn nowhere, and the parser-free reading of the next
    top-level item disagreed with the parser's. Every item is drawn, streamed or whole, and
    both readings cut alike."""
    text = _deep(levels)
    shown = render_whole(text, 400)
    assert [f"a{i}" in shown for i in range(levels)] == [True] * levels
    assert "b" in shown.split() and "c" in shown.split()
    for seed in range(12):
        pieces = random_pieces(random.Random(seed), text)
        assert render_streamed(pieces, 400) == shown, seed
    _reads_as_the_parser_alone(text, monkeypatch)


def _reads_as_the_parser_alone(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    frames = [_split_frames(text, random.Random(seed)) for seed in range(12)]
    with monkeypatch.context() as patch:
        patch.setattr("termchat.render.blocks.plain_items", lambda *args: None)
        patch.setattr("termchat.render.blocks.next_top_item", lambda *args: None)
        patch.setattr("termchat.render.nested.plain_items", lambda *args: None)
        assert [_split_frames(text, random.Random(seed)) for seed in range(12)] == frames


@pytest.mark.parametrize("levels", [49, 50, 51, 60])
def test_past_the_nesting_limit_both_readings_still_agree(
    levels: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fifty lists deep the parser takes in the lines below again (nothing can show them at
    that depth): the parser-free reading of the next top-level item must not read it
    otherwise, whatever nests how deep above it (spaces, tabs, quotes, bullets on one line)."""
    _reads_as_the_parser_alone(_deep(levels), monkeypatch)
    quoted = "- top\n  " + "> - " * levels + "deep\n  - b\n- c\n"
    _reads_as_the_parser_alone(quoted, monkeypatch)
    tabbed = "- top\n" + "".join("\t" * (i // 2 + 1) + "- t\n" for i in range(levels))
    _reads_as_the_parser_alone(tabbed + "  - b\n- c\n", monkeypatch)


@pytest.mark.parametrize(
    "text",
    [
        "- a\n  - \tb\nc\n",  # five columns after the nested bullet: b is indented code
        "- a\n  - \tb\nc\n\n\n\n  d\n===\n",  # the same, then a setext heading (crashed)
        "- a\n  - \tb\nc\n\n\n\n  d\n---\n",
        "- a\n   > \tb\n   > c\n",  # a tab after a quote's marker, in an item at column 3
        "1. a\n   - \tb\n   - c\n",
    ],
)
def test_a_tab_after_a_nested_marker_reads_as_in_the_whole(text: str) -> None:
    """A tab reaches the next stop of four counted from the line's start: read with an item's
    column taken off (not a stop), a tab after a nested bullet or quote marker stood for
    fewer spaces, so the item's text read as a paragraph where the whole answer has code, and
    one answer raised IndexError in the splitter. Streamed, it reads as the whole does."""
    for seed in range(20):
        pieces = random_pieces(random.Random(seed), text)
        assert render_streamed(pieces, 60) == render_whole(text, 60), (seed, pieces)
    assert render_streamed(list(text), 60) == render_whole(text, 60)
