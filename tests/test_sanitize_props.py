"""Property tests for the sanitizer and what is drawn with it: any text, cut into any pieces,
never raises, and what reaches a terminal holds no control sequence termchat did not write."""

from __future__ import annotations

import io
import itertools
import json
import re

from hostile import CORPUS, foreign_sequences
from hypothesis import given, settings
from hypothesis import strategies as st

from termchat.accumulator import Reply
from termchat.messages import ContentDelta, ThinkingDelta
from termchat.render import Renderer
from termchat.render.plain import StreamSanitizer
from termchat.render.sanitize import (
    escape_for_display,
    json_text,
    name_text,
    sanitize,
    show_hidden,
)

FAST = settings(max_examples=200, deadline=None, database=None)
DRAWN = settings(max_examples=60, deadline=None, database=None)  # each example renders

# What a terminal acts on, or what hides or reorders text.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
SEPARATORS = re.compile("[\u2028\u2029\ufeff\ufff9-\ufffb\U000e0000-\U000e007f]")
HIDDEN = re.compile("[\u200b-\u200d\u2060-\u2064\u00ad\u180e\u034f\u115f\u1160\u3164\uffa0]")

# Text rich in what matters here: introducers, string terminators, the corpus, line ends,
# Markdown punctuation and rich markup, besides any character at all.
special = st.sampled_from(
    [
        "\x1b",
        "\x1b[",
        "\x1b]",
        "\x07",
        "\x1b\\",
        "\x9b",
        "\x9c",
        "\x9d",
        "\x90",
        "\n",
        "\r",
        "\t",
        ";",
        "2J",
        "m",
        "\u202e",
        "\u2066",
        "\u200b",
        "\u200d",
        "\u3164",
        "[",
        "]",
        "`",
        "*",
        "#",
        "<",
        ">",
        "[/i]",
        "[link=https://e]",
        "é",
        "日",
        "😀",
    ]
)
hostile_text = st.lists(
    st.one_of(special, st.sampled_from(list(CORPUS.values())), st.text(max_size=6)),
    max_size=40,
).map("".join)
points = st.lists(st.integers(min_value=0, max_value=600), max_size=10)


def cut(text: str, at: list[int]) -> list[str]:
    bounds = sorted({0, len(text), *(min(p, len(text)) for p in at)})
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


@FAST
@given(text=hostile_text)
def test_sanitize_leaves_no_control_and_is_idempotent(text: str) -> None:
    clean = sanitize(text)
    assert not CONTROL.search(clean)
    assert not SEPARATORS.search(clean)
    assert sanitize(clean) == clean


@FAST
@given(text=st.text())
def test_sanitize_keeps_text_without_controls(text: str) -> None:
    if not CONTROL.search(text) and not SEPARATORS.search(text):
        assert sanitize(text) == text


@FAST
@given(text=hostile_text)
def test_sanitize_is_line_local(text: str) -> None:
    lines = text.split("\n")
    pieces = [line + "\n" for line in lines[:-1]] + [lines[-1]]
    assert "".join(sanitize(piece) for piece in pieces) == sanitize(text)


@FAST
@given(text=hostile_text, at=points)
def test_stream_sanitizer_any_chunking_is_the_whole_sanitized(text: str, at: list[int]) -> None:
    stream = StreamSanitizer()
    out = "".join(stream.feed(piece) for piece in cut(text, at)) + stream.flush()
    assert out == sanitize(text)


@FAST
@given(text=hostile_text, multiline=st.booleans())
def test_escape_for_display_shows_every_control(text: str, multiline: bool) -> None:
    shown = escape_for_display(text, multiline=multiline)
    assert not CONTROL.search(shown.replace("\n", "").replace("\t", "") if multiline else shown)
    assert not HIDDEN.search(shown) and not SEPARATORS.search(shown)
    assert "\n" not in shown or multiline
    assert escape_for_display(shown, multiline=multiline) == shown


@FAST
@given(text=hostile_text)
def test_name_text_is_one_clean_line_with_nothing_hidden(text: str) -> None:
    name = name_text(text)
    assert not CONTROL.search(name) and not HIDDEN.search(name) and "\n" not in name
    assert name_text(name) == name
    assert show_hidden(sanitize(text)).split() == name.split()


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), hostile_text),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(hostile_text, inner, max_size=4)
    ),
    max_leaves=12,
)


@FAST
@given(value=json_values, indent=st.sampled_from([None, 2]))
def test_json_text_reads_back_and_holds_no_raw_control(value: object, indent: int | None) -> None:
    text = json_text(value, indent=indent)
    assert json.loads(text) == value
    assert not CONTROL.search(text.replace("\n", "")) and not HIDDEN.search(text)
    assert not SEPARATORS.search(text)


def terminal_renderer() -> tuple[Renderer, io.StringIO]:
    out = io.StringIO()
    renderer = Renderer(file=out, width=60, height=20, force_terminal=True, color_system="256")
    return renderer, out


@DRAWN
@given(text=hostile_text)
def test_drawn_markdown_holds_no_foreign_sequence(text: str) -> None:
    renderer, out = terminal_renderer()
    renderer.markdown(text)
    renderer.notice(text)
    renderer.table(text, [text], [[text, None]])
    renderer.tool_call(text, {text: text})
    assert not foreign_sequences(out.getvalue().encode())


@DRAWN
@given(thinking=hostile_text, content=hostile_text, at=points, shown=st.booleans())
def test_streamed_reply_holds_no_foreign_sequence(
    thinking: str, content: str, at: list[int], shown: bool
) -> None:
    """A reply whose reasoning and answer arrive in any pieces, a frame drawn after each."""
    renderer, out = terminal_renderer()
    live = renderer.live_reply(content[:40], show_thinking=shown, clock=lambda: 0.0)
    live.refresh()  # the spinner, with the model's name, before anything arrived
    reply = Reply()
    for piece in cut(thinking, at):
        reply.feed(ThinkingDelta(piece))
        live.update(reply)
        live.refresh()
    for piece in cut(content, at):
        reply.feed(ContentDelta(piece))
        live.update(reply)
        live.refresh()
    live.finish(reply)
    assert not foreign_sequences(out.getvalue().encode())
