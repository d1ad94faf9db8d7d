"""Tests for the reply accumulator and the <think> splitter (pure, no network)."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from termchat.accumulator import Reply, ThinkSplitter
from termchat.messages import (
    ContentDelta,
    Done,
    Figure,
    Stats,
    StreamError,
    ThinkingDelta,
    ToolCall,
    ToolCalls,
)

TAGGED = "<think>Let me add 2 and 2.\nIt is 4.</think>\n\nThe answer is **4**."


def split_all(text: str, cuts: list[int]) -> tuple[str, str]:
    splitter = ThinkSplitter()
    thinking: list[str] = []
    content: list[str] = []
    bounds = [0, *cuts, len(text)]
    for start, end in itertools.pairwise(bounds):
        for is_thinking, part in splitter.feed(text[start:end]):
            (thinking if is_thinking else content).append(part)
    for is_thinking, part in splitter.flush():
        (thinking if is_thinking else content).append(part)
    return "".join(thinking), "".join(content)


@pytest.mark.parametrize("cut", range(len(TAGGED) + 1))
def test_splitter_every_single_split_point(cut: int) -> None:
    thinking, content = split_all(TAGGED, [cut])
    assert thinking == "Let me add 2 and 2.\nIt is 4."
    assert content == "\n\nThe answer is **4**."


def test_splitter_every_pair_of_split_points() -> None:
    text = "<think>ab</think>cd"
    for first in range(len(text) + 1):
        for second in range(first, len(text) + 1):
            assert split_all(text, [first, second]) == ("ab", "cd"), (first, second)


def test_splitter_character_by_character() -> None:
    assert split_all(TAGGED, list(range(1, len(TAGGED)))) == (
        "Let me add 2 and 2.\nIt is 4.",
        "\n\nThe answer is **4**.",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a < b and <thin ice", ("", "a < b and <thin ice"), id="lookalike-kept"),
        pytest.param("<think>unclosed", ("unclosed", ""), id="unclosed-is-thinking"),
        pytest.param("x <think>y</think> z", ("", "x <think>y</think> z"), id="mid-answer-is-text"),
        pytest.param("  \n<think>a</think>b", ("a", "b"), id="leading-whitespace"),
        pytest.param("   ", ("", "   "), id="only-whitespace"),
        pytest.param("<think></think>answer", ("", "answer"), id="empty-thinking"),
        pytest.param("plain text", ("", "plain text"), id="no-tags"),
        pytest.param("ends with <", ("", "ends with <"), id="lone-angle-kept"),
        pytest.param("<", ("", "<"), id="lone-angle-flushed"),
    ],
)
def test_splitter_edge_cases(text: str, expected: tuple[str, str]) -> None:
    assert split_all(text, []) == expected
    assert split_all(text, list(range(1, len(text)))) == expected


def test_reply_thinking_then_content_then_done() -> None:
    stats = Stats(done_reason="stop", eval_count=10, eval_duration=2_000_000_000)
    reply = Reply(model="qwen3").feed_all(
        [
            ThinkingDelta("Hmm, "),
            ThinkingDelta("okay."),
            ContentDelta("Hi"),
            ContentDelta("!"),
            Done(stats),
        ]
    )
    assert reply.thinking == "Hmm, okay."
    assert reply.content == "Hi!"
    assert reply.thinking_tokens == 2 and reply.content_tokens == 2
    assert reply.done and not reply.interrupted
    message = reply.to_message()
    assert message.to_wire() == {"role": "assistant", "content": "Hi!", "thinking": "Hmm, okay."}
    assert message.stats == replace(stats, counted_tokens=4, counted_thinking=2)
    assert message.model == "qwen3"
    assert stats.tokens_per_second == pytest.approx(5.0)


def test_reply_tagged_reasoning_is_counted_as_reasoning() -> None:
    reply = Reply()
    for piece in ["\n", "<thi", "nk>", "reason", "ing", "</think>", "\n\n", "Ans", "wer"]:
        reply.feed(ContentDelta(piece))
    reply.feed(Done(Stats()))
    assert (reply.thinking, reply.content) == ("reasoning", "Answer")
    assert (reply.thinking_tokens, reply.content_tokens) == (6, 3)
    figures = reply.to_message().stats
    assert figures is not None
    assert figures.thinking_tokens == Figure(6, estimated=True)
    assert figures.tokens == Figure(9, estimated=True)


def test_reply_without_tags_counts_leading_whitespace_as_answer() -> None:
    reply = Reply().feed_all([ContentDelta(" "), ContentDelta("Hi"), Done(Stats())])
    assert (reply.thinking_tokens, reply.content_tokens) == (0, 2)


def test_reply_cut_short_keeps_its_counts() -> None:
    reply = Reply().feed_all([ThinkingDelta("a"), ThinkingDelta("b"), ContentDelta("c")])
    reply.interrupt()
    assert reply.to_message().stats == Stats(counted_tokens=3, counted_thinking=2)
    assert Reply().figures() is None


@pytest.mark.parametrize(
    ("stats", "tokens", "speed"),
    [
        pytest.param(
            Stats(eval_count=50, eval_duration=10**9, counted_tokens=48),
            Figure(50),
            Figure(50.0),
            id="server-count",
        ),
        pytest.param(
            Stats(eval_duration=2 * 10**9, counted_tokens=48),
            Figure(48, estimated=True),
            Figure(24.0, estimated=True),
            id="counted",
        ),
        pytest.param(Stats(counted_tokens=48), Figure(48, estimated=True), None, id="no-time"),
        pytest.param(Stats(), None, None, id="nothing"),
    ],
)
def test_stats_one_counting_rule(stats: Stats, tokens: Figure | None, speed: Figure | None) -> None:
    assert stats.tokens == tokens
    assert stats.speed == speed
    assert Stats.from_dict(stats.to_dict()) == stats


def test_reply_tool_calls_are_appended_never_merged_by_index() -> None:
    first = ToolCall("get_weather", {"city": "Paris"}, index=0)
    second = ToolCall("get_weather", {"city": "Rome"}, index=0)
    third = ToolCall("calculator", {"expression": "1+1"}, id="call_1", index=0)
    reply = Reply().feed_all(
        [ToolCalls((first, second)), ContentDelta(""), ToolCalls((third,)), Done(Stats())]
    )
    assert reply.tool_calls == [first, second, third]
    wire = reply.to_message().to_wire()
    assert [c["function"]["arguments"] for c in wire["tool_calls"]] == [
        {"city": "Paris"},
        {"city": "Rome"},
        {"expression": "1+1"},
    ]
    assert wire["tool_calls"][2]["id"] == "call_1"
    assert "id" not in wire["tool_calls"][0]


def test_reply_tagged_content_goes_to_thinking_and_answer_whitespace_is_trimmed() -> None:
    reply = Reply()
    for piece in ["<thi", "nk>reason", "ing</thi", "nk>", "\n\n", "Answer"]:
        reply.feed(ContentDelta(piece))
    reply.feed(Done(Stats()))
    assert reply.thinking == "reasoning"
    assert reply.content == "Answer"


def test_reply_stream_error_keeps_partial_and_marks_interrupted() -> None:
    reply = Reply().feed_all([ContentDelta("partial "), StreamError("model crashed")])
    assert reply.content == "partial "
    message = reply.to_message()
    assert message.interrupted and message.error == "model crashed"


def test_reply_interrupt_flushes_held_back_tag_prefix() -> None:
    reply = Reply().feed_all([ContentDelta("<th")])
    assert reply.content == ""
    reply.interrupt()
    assert reply.content == "<th"
    assert reply.to_message().interrupted


def test_reply_lengths_track_without_joining() -> None:
    reply = Reply()
    for _ in range(1000):
        reply.feed(ContentDelta("ab"))
    assert reply.content_length == 2000
    assert reply.content == "ab" * 1000


def test_reply_literal_think_tag_inside_an_answer_stays_answer() -> None:
    text = "Wrap reasoning in a <think> tag. Then close it with </think>."
    reply = Reply()
    for index in range(0, len(text), 3):
        reply.feed(ContentDelta(text[index : index + 3]))
    reply.feed(Done(Stats()))
    assert reply.content == text
    assert reply.thinking == ""
