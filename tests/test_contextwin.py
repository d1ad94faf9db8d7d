"""The context window's pure logic: window choice, counts, estimates, truncation, texts."""

from __future__ import annotations

import pytest

from termchat.contextwin import (
    Measure,
    Window,
    choose_window,
    estimate,
    from_history,
    is_context_error,
    level,
    measure,
    old_reasoning_tokens,
    request_tokens,
    short_count,
    suggested_num_ctx,
    usage_text,
    was_dropped,
    without_old_reasoning,
)
from termchat.messages import Message, Stats, ToolCall


@pytest.mark.parametrize(
    ("num_ctx", "loaded", "model_max", "expected"),
    [
        pytest.param(2048, 4096, 40960, Window(2048, "num_ctx"), id="num_ctx-wins"),
        pytest.param(None, 4096, 40960, Window(4096, "loaded"), id="loaded-next"),
        pytest.param(None, None, 40960, Window(40960, "model"), id="model-last"),
        pytest.param("big", None, None, None, id="nothing-known"),
        pytest.param(True, None, 8, Window(8, "model"), id="bool-is-not-a-number"),
    ],
)
def test_choose_window_prefers_num_ctx_then_loaded_then_model(
    num_ctx: object, loaded: int | None, model_max: int | None, expected: Window | None
) -> None:
    assert choose_window(num_ctx, loaded, model_max) == expected


def test_request_tokens_counts_content_reasoning_and_calls() -> None:
    messages = [
        Message(role="user", content="a" * 40),
        Message(
            role="assistant",
            content="b" * 8,
            thinking="c" * 400,
            tool_calls=[ToolCall("add", {"a": 1})],
        ),
    ]
    with_reasoning = request_tokens(messages)
    without = request_tokens(messages, reasoning=False)
    assert with_reasoning - without == 100
    assert without == 4 + 10 + 4 + 2 + 1 + 2  # overheads, content, call name and arguments


def test_old_reasoning_is_only_that_of_earlier_turns() -> None:
    messages = [
        Message(role="user", content="q1"),
        Message(role="assistant", content="a1", thinking="x" * 80),
        Message(role="user", content="q2"),
        Message(role="assistant", content="", thinking="y" * 40, tool_calls=[ToolCall("t", {})]),
        Message(role="tool", content="result", tool_name="t"),
    ]
    assert old_reasoning_tokens(messages) == 20
    dropped = without_old_reasoning(messages)
    assert [m.thinking for m in dropped] == ["", "", "", "y" * 40, ""]
    assert messages[1].thinking == "x" * 80  # the history itself is untouched


def test_estimate_is_corrected_by_the_last_sound_measurement() -> None:
    sound = Measure(prompt=150, output=10, counted=100, floor=100)
    assert estimate(200, None) == 200
    assert estimate(200, sound) == 300
    assert estimate(200, Measure(prompt=10, output=1, counted=100, floor=100, dropped=True)) == 200
    assert estimate(200, Measure(prompt=10_000, output=1, counted=100, floor=100)) == 600  # clamped


@pytest.mark.parametrize(
    ("prompt", "floor", "last", "dropped"),
    [
        pytest.param(2000, 2100, None, False, id="close-to-our-count"),
        pytest.param(1000, 3000, None, True, id="a-third-missing"),
        pytest.param(40, 100, None, False, id="too-small-to-tell"),
        pytest.param(
            1500,
            3000,
            Measure(prompt=500, output=5, counted=1000, floor=1000),
            False,
            id="calibrated-half",
        ),
        pytest.param(
            1000,
            3000,
            Measure(prompt=100, output=5, counted=1000, floor=1000, dropped=True),
            True,
            id="a-dropped-measure-does-not-calibrate",
        ),
    ],
)
def test_was_dropped_compares_with_the_floor(
    prompt: int, floor: int, last: Measure | None, dropped: bool
) -> None:
    assert was_dropped(prompt, floor, last) is dropped


def test_measure_and_from_history() -> None:
    history = [
        Message(role="system", content="s" * 40),
        Message(role="user", content="u" * 400),
        Message(role="assistant", content="a", stats=Stats(prompt_eval_count=30, eval_count=7)),
    ]
    measured = from_history(history)
    assert measured is not None
    assert (measured.prompt, measured.output, measured.used) == (30, 7, 37)
    assert measured.counted == 4 + 10 + 4 + 100
    assert measured.dropped  # 30 of about 118 tokens: the server kept only part
    assert measure(None, 5, history, None) is None
    assert from_history(history[:2]) is None


def test_level_and_texts() -> None:
    window = Window(4096, "loaded")
    assert level(1000, window) == "ok"
    assert level(3300, window) == "warn"
    assert level(4000, window) == "full"
    assert level(10**6, None) == "ok"
    assert usage_text(1234, window) == "ctx 1.2k/4.1k 30%"
    assert usage_text(None, window) == "ctx –/4.1k"
    assert usage_text(None, None) is None
    assert [short_count(n) for n in (950, 40960, 1_100_000)] == ["950", "41k", "1.1M"]


def test_suggested_num_ctx() -> None:
    assert suggested_num_ctx(5000, Window(4096, "loaded"), 40960) == 8192
    assert suggested_num_ctx(5000, Window(4096, "loaded"), 6000) == 6000
    assert suggested_num_ctx(5000, Window(40960, "model"), 40960) is None
    assert suggested_num_ctx(9000, Window(8192, "num_ctx"), 8192) is None


@pytest.mark.parametrize(
    "text",
    [
        "Requested tokens (5000) exceed context window of 4096",
        "the request exceeds the available context size, try increasing it",
        "This model's maximum context length is 4096 tokens.",
        "the input length exceeds the context length",  # Ollama with truncate: false
    ],
)
def test_is_context_error(text: str) -> None:
    assert is_context_error(text)
    assert not is_context_error("server busy, please try again")
    assert not is_context_error(None)
