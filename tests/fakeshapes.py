"""Answers of every shape a benchmark streams: prose, code, tables, lists, long lines, reasoning.

Pure and deterministic: `shape(name, tokens)` gives `(thinking, content)` of about `tokens`
word-like tokens (counted as the fake server splits text into stream pieces), so a benchmark,
its reference clients and a test see the same text.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

from fakereplies import long_markdown, tokens

_TEXT = (
    "the model reads each token as it arrives and the client keeps only the unfinished block "
    "live while finished blocks go to the scrollback once so a long answer costs no more per "
    "token than a short one would cost streaming over a slow network with a busy machine"
)
_WORDS = _TEXT.split(" ")


def _words(seed: int) -> Iterator[str]:
    """An endless, deterministic run of words (the start depends on `seed`)."""
    return itertools.islice(itertools.cycle(_WORDS), seed % len(_WORDS), None)


def _sentence(words: Iterator[str], count: int) -> str:
    text = " ".join(itertools.islice(words, count))
    return text[:1].upper() + text[1:] + "."


def _fill(make: Callable[[int], str], wanted: int, head: str = "") -> str:
    """`head` then parts `make(0)`, `make(1)`, … until about `wanted` tokens."""
    parts = [head] if head else []
    count = len(tokens(head.rstrip()))
    for n in itertools.count():
        if count >= wanted:
            break
        part = make(n)
        parts.append(part)
        # whitespace at the end of a part joins the next part's first token
        count += len(tokens(part.rstrip()))
    return "".join(parts)


def prose(wanted: int) -> str:
    """Paragraphs of plain sentences, a heading now and then."""

    def paragraph(n: int) -> str:
        words = _words(n * 7)
        body = " ".join(_sentence(words, 9 + (n + k) % 8) for k in range(4 + n % 3))
        heading = f"## Part {n // 6 + 1}\n\n" if n % 6 == 0 else ""
        return f"{heading}{body}\n\n"

    return _fill(paragraph, wanted)


def code_heavy(wanted: int) -> str:
    """Short explanations, each followed by a fenced Python block of 12 to 30 lines."""

    def section(n: int) -> str:
        lines = [f"def step_{n}(items, limit={n % 9 + 1}):", f'    """Step {n} of the job."""']
        for k in range(10 + n % 19):
            lines.append(f"    value_{k} = items[{k}] * limit + {k}  # keep {k}")
        lines.append("    return locals()")
        code = "\n".join(lines)
        words = _words(n)
        return f"{_sentence(words, 12)} {_sentence(words, 8)}\n\n```python\n{code}\n```\n\n"

    return _fill(section, wanted)


def numbered_steps(wanted: int) -> str:
    """A how-to in numbered steps, everything inside the items: a bold title, a paragraph,
    a fenced block of 8 to 40 lines and a few bullets under each step."""

    def step(n: int) -> str:
        words = _words(n * 3)
        marker = f"{n + 1}. "
        pad = " " * len(marker)  # the item's content column
        code = "".join(
            f"{pad}run_{n}_{k} --limit {k + 1} --name item{k}  # pass {k}\n"
            for k in range(8 + (n * 7) % 33)
        )
        bullets = "".join(f"{pad}- {_sentence(words, 6 + k)}\n" for k in range(2 + n % 3))
        paragraph = f"{_sentence(words, 14)} {_sentence(words, 9)}"
        return (
            f"{marker}**{_sentence(words, 3)}**\n\n{pad}{paragraph}\n\n"
            f"{pad}```bash\n{code}{pad}```\n\n{bullets}\n"
        )

    return _fill(step, wanted)


def one_code_block(wanted: int) -> str:
    """One fenced block that is the whole answer: four tokens a line (2,000 lines at 8,000
    tokens)."""
    return _fill(lambda n: f"x_{n} = f({n}, {n % 7})\n", wanted - 1, "```python\n") + "```\n"


def many_tables(wanted: int) -> str:
    """A heading and a four-column table of eight rows, again and again."""

    def table(n: int) -> str:
        rows = [f"### Table {n + 1}\n", "| name | size | speed | note |", "|---|---:|---:|---|"]
        for k in range(8):
            rows.append(f"| item {n}.{k} | {k * 17 + n} kB | {k + 3}.{n % 10} ms | ok {k} |")
        return "\n".join(rows) + "\n\n"

    return _fill(table, wanted)


def wide_table(wanted: int) -> str:
    """One table of eight columns that is the whole answer, its cells a few words each."""
    head = "| " + " | ".join(f"column {c}" for c in range(8)) + " |\n"
    head += "|" + "---|" * 8 + "\n"

    def row(n: int) -> str:
        words = _words(n)
        cells = [" ".join(itertools.islice(words, 1 + (n + c) % 3)) for c in range(8)]
        return "| " + " | ".join(cells) + " |\n"

    return _fill(row, wanted, head)


def nested_list(wanted: int) -> str:
    """One list that is the whole answer, nested down to eight levels and back up."""
    depths = [*range(8), *range(6, 0, -1)]

    def item(n: int) -> str:
        depth = depths[n % len(depths)]
        return "  " * depth + f"- {_sentence(_words(n), 6 + n % 5)}\n"

    return _fill(item, wanted)


def long_lines(wanted: int) -> str:
    """Paragraphs that are single runs of characters without a space (hashes, base64)."""

    def run(n: int) -> str:
        chunk = "".join(f"{(n * 7919 + k * 104729) % 65536:04x}" for k in range(40 + n % 60))
        return f"{chunk}\n\n"

    return _fill(run, wanted)


def long_paragraphs(wanted: int) -> str:
    """A paragraph, then a block quote, each half of the answer and without a blank line:
    lines of a few sentences each (a soft line break between them)."""
    half = wanted // 2

    def line(n: int) -> str:
        words = _words(n * 5)
        return " ".join(_sentence(words, 8 + (n + k) % 9) for k in range(2 + n % 4)) + "\n"

    paragraph = _fill(line, half)
    quote = _fill(lambda n: "> " + line(n + 1), wanted - half)
    return f"{paragraph}\n{quote}"


def reasoning(wanted: int) -> tuple[str, str]:
    """Reasoning of about three quarters of `wanted` in long lines, then a Markdown answer."""

    def line(n: int) -> str:
        words = _words(n * 3)
        return " ".join(_sentence(words, 8 + k % 7) for k in range(10 + n % 15)) + "\n"

    thinking = _fill(line, wanted * 3 // 4)
    return thinking.rstrip("\n"), long_markdown(wanted // 4)


_CONTENT: dict[str, Callable[[int], str]] = {
    "markdown": long_markdown,
    "prose": prose,
    "code": code_heavy,
    "codeblock": one_code_block,
    "tables": many_tables,
    "wide": wide_table,
    "lists": nested_list,
    "longlines": long_lines,
    "paragraphs": long_paragraphs,
    "steps": numbered_steps,
}
SHAPES = (*_CONTENT, "reasoning")
"""Every shape's name; `reasoning` is the one with thinking."""


def shape(name: str, wanted: int) -> tuple[str, str]:
    """(thinking, content) of the shape `name`, about `wanted` tokens in all.

    Raises:
        KeyError: an unknown shape.
    """
    if name == "reasoning":
        return reasoning(wanted)
    return "", _CONTENT[name](wanted)
