"""The benchmark's own parts: the answer shapes, the stand-in server, the floor client, lag."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fakereplies import tokens
from fakeshapes import SHAPES, shape

from termchat.render.blocks import make_parser

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import bench_lag  # noqa: E402 - the benchmarks folder is not a package
from server import StandIn, prompt  # noqa: E402


@pytest.mark.parametrize("name", SHAPES)
@pytest.mark.parametrize("size", [2000, 8000])
def test_shape_has_the_size_asked_for(name: str, size: int) -> None:
    thinking, content = shape(name, size)
    count = len(tokens(thinking)) + len(tokens(content))
    assert abs(count - size) <= size * 0.1, count
    assert shape(name, size) == (thinking, content)  # deterministic
    assert bool(thinking) == (name == "reasoning")


@pytest.mark.parametrize(
    ("name", "block"),
    [
        pytest.param("wide", "table_open", id="one-table"),
        pytest.param("lists", "bullet_list_open", id="one-list"),
        pytest.param("codeblock", "fence", id="one-fence"),
    ],
)
def test_single_block_shapes_are_one_top_level_block(name: str, block: str) -> None:
    _, content = shape(name, 2000)
    top = [t for t in make_parser().parse(content) if t.level == 0 and t.nesting >= 0]
    assert [t.type for t in top] == [block]


def test_nested_list_goes_eight_levels_deep_and_the_code_block_is_2000_lines() -> None:
    tokens_ = make_parser().parse(shape("lists", 2000)[1])
    depth = max(t.level for t in tokens_ if t.type == "bullet_list_open") // 2 + 1
    assert depth == 8
    assert shape("codeblock", 8000)[1].count("\n") == 2002  # opener, 2,000 lines, closer


def test_long_paragraphs_are_one_paragraph_and_one_quote() -> None:
    _, content = shape("paragraphs", 2000)
    top = [t for t in make_parser().parse(content) if t.level == 0 and t.nesting >= 0]
    assert [t.type for t in top] == ["paragraph_open", "blockquote_open"]
    assert content.count("\n") > 40


def test_numbered_steps_are_one_list_holding_code() -> None:
    _, content = shape("steps", 8000)
    tokens_ = make_parser().parse(content)
    top = [t for t in tokens_ if t.level == 0 and t.nesting >= 0]
    assert [t.type for t in top] == ["ordered_list_open"]
    fences = [t for t in tokens_ if t.type == "fence"]
    assert len(fences) > 20 and all(t.level > 0 for t in fences)


def test_reasoning_lines_are_long() -> None:
    thinking, _ = shape("reasoning", 2000)
    lines = thinking.split("\n")
    assert min(len(line) for line in lines) > 300


def test_stand_in_streams_the_shape_on_its_clock_and_stamps_each_piece() -> None:
    import http.client
    import json

    with StandIn() as server:
        host, port = server.url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        body = {"model": "qwen3", "messages": [{"role": "user", "content": ""}], "think": True}
        body["messages"][0]["content"] = prompt("reasoning", 400, 2000)
        try:
            connection.request("POST", "/api/chat", json.dumps(body))
            lines = connection.getresponse().read().decode().splitlines()
        finally:
            connection.close()
        stamps = server.stamps()
    chunks = [json.loads(line) for line in lines]
    thinking = "".join(c["message"].get("thinking", "") for c in chunks)
    content = "".join(c["message"]["content"] for c in chunks)
    assert (thinking, content) == shape("reasoning", 400)
    assert chunks[-1]["done"] is True
    assert chunks[-1]["eval_count"] == len(stamps) == len(chunks) - 1
    times = [t for t, _, _ in stamps]
    assert times == sorted(times)
    assert 0.15 <= times[-1] - times[0] <= 5  # ~400 pieces at 2,000 a second
    assert stamps[-1][1:] == (len(thinking), len(content))


def test_floor_client_writes_the_raw_text_then_renders_once() -> None:
    with StandIn() as server:
        question = prompt("markdown", 300, 0)
        argv = [sys.executable, str(BENCH / "clients.py"), "floor", server.url, question]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True)
    _, content = shape("markdown", 300)
    assert done.stdout.startswith(content)
    rendered = done.stdout[len(content) :]
    assert "# A longer answer" not in rendered and "A longer answer" in rendered


def test_lag_pairs_each_piece_with_the_first_frame_on_the_terminal_that_shows_it() -> None:
    end = b"\x1b[?2026l"
    frames = [
        {"start": 1.00, "end": 1.001, "shown": 0, "bytes": 10},  # the waiting line
        {"start": 1.05, "end": 1.051, "shown": 5, "bytes": 10},
        {"start": 1.10, "end": 1.101, "shown": 5, "bytes": 0},  # nothing changed
        {"start": 1.15, "end": 1.152, "shown": 9, "bytes": 10},
    ]
    chunks = [(1.002, b"x" + end), (1.053, b"y" + end[:3]), (1.054, end[3:]), (1.16, end + end)]
    stamps = [(1.01, 0, 2), (1.02, 0, 5), (1.03, 3, 5), (1.12, 3, 9)]
    got = bench_lag.analyse(frames, stamps, chunks)
    assert got["mismatch"] == 0.0
    assert got["frames"] == 3
    assert got["lag_max"] == pytest.approx(0.054 - 0.01)  # the second frame's end arrived late
    assert got["lag_p50"] == pytest.approx(1.16 - 1.12)
    assert got["cost_max"] == pytest.approx(0.002)


def test_lag_says_when_the_terminal_and_the_log_disagree() -> None:
    frames = [{"start": 1.0, "end": 1.001, "shown": 3, "bytes": 5}]
    got = bench_lag.analyse(frames, [(0.99, 0, 3)], [(1.0, b"no frames here")])
    assert got["mismatch"] == 1.0
