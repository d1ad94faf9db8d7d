"""Client figures: NDJSON decoding + accumulation throughput, and memory over a long conversation.

Throughput is measured in this process on the exact bytes the fake server sends for an
8,000-token answer, fed to `OllamaStream` + `Reply.feed` one chunk per read (what a slow stream
delivers) and in 64 KiB reads (what a paced read of a fast stream gets).

Memory: the REPL in a 100x40 pty holds a conversation of ten 10,000-token answers streamed at
full speed (100,000 tokens, each one rendered); the resident set size of the termchat process
(/proc/PID/status) is read once the prompt is up and after the last answer.
"""

from __future__ import annotations

import sys
import tempfile
import time

import ptyrun
from common import ROOT, TERMCHAT, Budget, Log, Row, median
from server import StandIn, prompt

from termchat.accumulator import Reply
from termchat.backends.ndjson import OllamaStream

sys.path.insert(0, str(ROOT / "tests"))
from fakereplies import long_markdown, ndjson_plan, reply

TURN_TOKENS = 10_000
FOOTER_MARK = " tok/s · ".encode()  # in the footer under each answer


def wire_lines(tokens: int) -> list[bytes]:
    """The NDJSON lines of one streamed answer, as the fake server writes them."""
    plan = ndjson_plan(reply(content=long_markdown(tokens)), "qwen3")
    return [*plan.units, plan.final]


def chunks_per_second(pieces: list[bytes], lines: int, passes: int) -> float:
    """Median lines decoded and accumulated per second over `passes` passes."""
    rates = []
    for _ in range(passes):
        began = time.perf_counter()
        stream = OllamaStream()
        answer = Reply("qwen3")
        for piece in pieces:
            for event in stream.feed(piece):
                answer.feed(event)
        for event in stream.end():
            answer.feed(event)
        rates.append(lines / (time.perf_counter() - began))
        assert answer.done
    return median(rates)


def throughput_rows(quick: bool) -> list[Row]:
    """NDJSON + Reply throughput, per-line and batched."""
    lines = wire_lines(8000)
    body = b"".join(lines)
    batched = [body[i : i + 65536] for i in range(0, len(body), 65536)]
    passes = 5 if quick else 15
    one = chunks_per_second(lines, len(lines), passes)
    many = chunks_per_second(batched, len(lines), passes)
    return [
        Row(
            "NDJSON decode + Reply.feed, one chunk per read",
            f"{one:,.0f} chunks/s",
            "≥ 200,000 chunks/s",
            one >= 200_000,
            f"{len(lines):,} chunks of an 8,000-token answer; median of {passes}",
        ),
        Row(
            "NDJSON decode + Reply.feed, 64 KiB reads",
            f"{many:,.0f} chunks/s",
            "≥ 200,000 chunks/s",
            many >= 200_000,
            f"median of {passes}",
        ),
    ]


def memory_rows(turns: int, budget: Budget, say: Log) -> list[Row]:
    """RSS of the REPL before and after `turns` long answers."""
    say(f"memory: {turns} answers of {TURN_TOKENS:,} tokens in the REPL")
    with (
        StandIn() as server,
        tempfile.TemporaryDirectory(prefix="termchat-bench-") as home,
    ):
        argv = [TERMCHAT, "-m", "qwen3", "--no-think", "--host", server.url]
        with ptyrun.PtyProcess(argv, env={"TERMCHAT_HOME": home}) as process:
            if process.wait_for(b"thinking:", timeout=10) is None:
                raise RuntimeError("the REPL did not start")
            time.sleep(1.0)  # the background warm-up and model info are done
            before = process.rss_mb()
            done = 0
            for turn in range(turns):
                if budget.left() < 20:
                    break
                process.send(prompt("markdown", TURN_TOKENS, 0) + f" turn={turn}\r")
                if not process.wait_count(FOOTER_MARK, turn + 1, timeout=120):
                    raise RuntimeError(f"answer {turn + 1} did not end")
                done += 1
            after = process.rss_mb()
            process.send("\x04")
            result = process.finish(timeout=10)
    tokens = done * TURN_TOKENS
    grew = after - before
    return [
        Row(
            f"memory: RSS growth over {tokens:,} tokens",
            f"{grew:.1f} MB",
            "< 50 MB" if tokens >= 100_000 else "< 50 MB (at 100,000 tokens)",
            grew < 50 and tokens >= 100_000,
            f"{before:.0f} → {after:.0f} MB after {done} answers; peak {result.max_rss_mb:.0f} MB",
        )
    ]


def run(quick: bool, budget: Budget, say: Log) -> list[Row]:
    """Throughput and memory rows."""
    say("client throughput: NDJSON decoding + accumulation, in process")
    return [*throughput_rows(quick), *memory_rows(10, budget, say)]
