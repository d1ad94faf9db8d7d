"""Property tests for the stream readers and the `<think>` splitter: any bytes or text, cut into
any pieces, never raise, and what comes out joins back to what went in."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

from backend_helpers import assert_well_formed
from hypothesis import given, settings
from hypothesis import strategies as st

from termchat.accumulator import Reply, ThinkSplitter
from termchat.backends.fields import clean_text
from termchat.backends.ndjson import LineDecoder, OllamaStream
from termchat.backends.sse import OpenAIStream, SSEDecoder
from termchat.messages import ContentDelta, Event, StreamError, ThinkingDelta

# A few seconds for the whole file; no example database written into the tree.
FAST = settings(max_examples=100, deadline=None, database=None)
SHAPES = settings(max_examples=150, deadline=None, database=None)


def cut(data: Any, points: list[int]) -> list[Any]:
    """`data` cut at the given points (any order, duplicates allowed, clipped to its length)."""
    bounds = sorted({0, len(data), *(min(p, len(data)) for p in points)})
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


points = st.lists(st.integers(min_value=0, max_value=4000), max_size=12)
# Bytes rich in what matters to a line reader: line ends, UTF-8 lead and continuation bytes.
wire_bytes = st.lists(
    st.one_of(
        st.sampled_from([b"\n", b"\r", b"\r\n", b"\xc3", b"\xa9", b"\xf0\x9f\x98\x80", b"data:"]),
        st.binary(max_size=12),
    ),
    max_size=40,
).map(b"".join)


# --- line and event framing ---------------------------------------------------------------------


def reference_lines(data: bytes, keep_blank: bool, any_newline: bool) -> list[str]:
    raw = re.split(rb"\r\n|\r|\n", data) if any_newline else data.split(b"\n")
    if not raw[-1]:
        raw.pop()  # the text after the last line end, when there is none
    lines = [line.removesuffix(b"\r").decode("utf-8", "replace") for line in raw]
    return lines if keep_blank else [line for line in lines if line]


@FAST
@given(data=wire_bytes, at=points, keep_blank=st.booleans(), any_newline=st.booleans())
def test_line_decoder_any_chunking(
    data: bytes, at: list[int], keep_blank: bool, any_newline: bool
) -> None:
    decoder = LineDecoder(keep_blank=keep_blank, any_newline=any_newline)
    lines: list[str] = []
    for piece in cut(data, at):
        lines += decoder.decode(piece)
    lines += decoder.flush()
    assert lines == reference_lines(data, keep_blank, any_newline)


payload = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"))


@FAST
@given(
    payloads=st.lists(st.lists(payload, min_size=1, max_size=3), max_size=6),
    newline=st.sampled_from(["\n", "\r", "\r\n"]),
    at=points,
)
def test_sse_decoder_payloads_come_back(
    payloads: list[list[str]], newline: str, at: list[int]
) -> None:
    text = "".join(
        "".join(f"data: {line}{newline}" for line in event) + newline for event in payloads
    )
    data = (": comment" + newline + text).encode()
    decoder = SSEDecoder()
    out: list[str] = []
    for piece in cut(data, at):
        out += decoder.decode(piece)
    out += decoder.flush()
    assert out == ["\n".join(event) for event in payloads]


@FAST
@given(data=wire_bytes, at=points)
def test_sse_decoder_any_bytes_any_chunking(data: bytes, at: list[int]) -> None:
    whole = SSEDecoder()
    expected = whole.decode(data) + whole.flush()
    pieces = SSEDecoder()
    out: list[str] = []
    for piece in cut(data, at):
        out += pieces.decode(piece)
    assert out + pieces.flush() == expected


# --- records: any text, any JSON ------------------------------------------------------------

any_text = st.text(max_size=8) | st.sampled_from(["\ud83d", "\ude00", "\ud83d\ude00", "<think>"])
# Values of every JSON type, led by the wrong shapes servers were seen to send.
WRONG = [None, True, False, 0, -1, 10**30, 1e300, "", "x", "\ud83d", [], [1], {}, {"a": 1}]
json_values = st.sampled_from(WRONG) | st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | any_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=5,
)


def feed(stream: OllamaStream | OpenAIStream, data: bytes, at: list[int]) -> list[Event]:
    events: list[Event] = []
    for piece in cut(data, at):
        events += stream.feed(piece)
    return events + stream.end()


def ndjson(records: list[Any]) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


@FAST
@given(pieces=st.lists(any_text, max_size=12), at=points)
def test_ollama_text_pieces_join_back(pieces: list[str], at: list[int]) -> None:
    records: list[Any] = [{"message": {"thinking": p, "content": p}} for p in pieces]
    events = feed(OllamaStream(), ndjson([*records, {"done": True}]), at)
    assert_well_formed(events)
    joined = clean_text("".join(pieces))
    assert "".join(e.text for e in events if isinstance(e, ThinkingDelta)) == joined
    assert "".join(e.text for e in events if isinstance(e, ContentDelta)) == joined


ollama_record = st.fixed_dictionaries(
    {},
    optional={
        "message": json_values
        | st.fixed_dictionaries(
            {},
            optional={
                "content": json_values,
                "thinking": json_values,
                "tool_calls": json_values
                | st.lists(
                    st.fixed_dictionaries(
                        {},
                        optional={
                            "id": json_values,
                            "function": json_values
                            | st.fixed_dictionaries(
                                {},
                                optional={
                                    "name": json_values,
                                    "arguments": json_values,
                                    "index": json_values,
                                },
                            ),
                        },
                    ),
                    max_size=2,
                ),
            },
        ),
        "done": st.booleans() | json_values,
        "done_reason": json_values,
        "eval_count": json_values,
        "eval_duration": json_values,
        "error": json_values,
    },
)


@SHAPES
@given(records=st.lists(ollama_record, min_size=1, max_size=4), at=points)
def test_ollama_stream_any_records_never_raise(records: list[Any], at: list[int]) -> None:
    events = feed(OllamaStream(), ndjson(records), at)
    assert_well_formed(events)
    assert events  # every stream ends with Done or a StreamError


openai_record = st.fixed_dictionaries(
    {},
    optional={
        "choices": json_values
        | st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "index": st.just(0) | json_values,
                    "delta": json_values
                    | st.fixed_dictionaries(
                        {},
                        optional={
                            "content": json_values,
                            "reasoning": json_values,
                            "reasoning_content": json_values,
                            "tool_calls": json_values
                            | st.lists(
                                st.fixed_dictionaries(
                                    {},
                                    optional={
                                        "index": json_values,
                                        "id": json_values,
                                        "function": json_values,
                                    },
                                ),
                                max_size=2,
                            ),
                        },
                    ),
                    "finish_reason": json_values,
                },
            ),
            max_size=2,
        ),
        "usage": json_values,
        "error": json_values,
    },
)


@SHAPES
@given(records=st.lists(openai_record, min_size=1, max_size=4), at=points, done=st.booleans())
def test_openai_stream_any_records_never_raise(
    records: list[Any], at: list[int], done: bool
) -> None:
    data = b"".join(b"data: " + json.dumps(r).encode() + b"\n\n" for r in records)
    events = feed(OpenAIStream(), data + (b"data: [DONE]\n\n" if done else b""), at)
    assert_well_formed(events)
    assert events


@FAST
@given(data=wire_bytes, at=points)
def test_streams_any_bytes_never_raise(data: bytes, at: list[int]) -> None:
    for stream in (OllamaStream(), OpenAIStream()):
        events = feed(stream, data, at)
        assert_well_formed(events)
        assert isinstance(events[-1], StreamError) or stream.finished


# --- the <think> splitter -----------------------------------------------------------------------

tagged_text = st.lists(
    st.sampled_from(["<think>", "</think>", "<", "</", "think", ">", " ", "\n", "<thi", "nk>"])
    | st.text(max_size=5),
    max_size=12,
).map("".join)


def split(text: str, at: list[int]) -> tuple[str, str, ThinkSplitter]:
    splitter = ThinkSplitter()
    thinking: list[str] = []
    answer: list[str] = []
    for piece in [*cut(text, at), None]:
        parts = splitter.feed(piece) if piece is not None else splitter.flush()
        for is_thinking, part in parts:
            (thinking if is_thinking else answer).append(part)
    return "".join(thinking), "".join(answer), splitter


@FAST
@given(text=tagged_text, at=points)
def test_think_splitter_pieces_join_back(text: str, at: list[int]) -> None:
    thinking, answer, splitter = split(text, at)
    assert (thinking, answer) == split(text, [])[:2]  # the same whatever the chunking
    if not splitter.seen_tag:
        assert (thinking, answer) == ("", text)
    else:
        # Only spaces before the tag; the reasoning runs to the first closing tag, if any.
        rest = text.lstrip().removeprefix("<think>")
        assert text.lstrip() == "<think>" + rest
        closed = "</think>" in rest
        assert rest == thinking + ("</think>" + answer if closed else "")
        assert "</think>" not in thinking
        assert closed or not answer


@FAST
@given(text=tagged_text, at=points)
def test_reply_content_and_thinking_do_not_depend_on_chunking(text: str, at: list[int]) -> None:
    def reply(pieces: list[str]) -> tuple[str, str]:
        result = Reply("m").feed_all([ContentDelta(p) for p in pieces if p])
        result.interrupt()
        return result.thinking, result.content

    thinking, content = reply(cut(text, at))
    assert (thinking, content) == reply([text])
    if "<think>" not in text:
        assert (thinking, content) == ("", text)
