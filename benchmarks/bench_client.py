"""Client figures: the chunk rate through the real network path, NDJSON decoding in memory, and
memory over a long conversation.

End to end: wire_client.py (its own process) streams a 100,000-piece answer from the stand-in,
which writes as fast as the socket takes it, through termchat's Ollama backend (httpx, anyio,
frame-paced reads, NDJSON) into a `Reply`: chunks per second of wall time, and per CPU second.

In memory (the decoder alone, for spotting a regression in it): the exact bytes the fake server
sends for an 8,000-token answer, fed to `OllamaStream` + `Reply.feed` one chunk per read and in
64 KiB reads.

Memory: the REPL in a 100x40 pty holds a conversation of ten 10,000-token answers streamed at
full speed (100,000 tokens, each one rendered); the resident set size of the termchat process
(/proc/PID/status) is read once the prompt is up and after the last answer.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time

import ptyrun
from common import PYTHON, ROOT, TERMCHAT, Budget, Log, Row, median
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


WIRE = ROOT / "benchmarks" / "wire_client.py"
WIRE_PIECES = 100_000


def wire_rows(runs: int, say: Log) -> list[Row]:
    """Chunks a second through the real network path (its own process, against the stand-in)."""
    rates: list[float] = []
    per_cpu: list[float] = []
    with StandIn() as server:
        for _ in range(runs):
            argv = [PYTHON, str(WIRE), server.url, prompt("markdown", WIRE_PIECES, 0)]
            done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=True)
            figures = json.loads(done.stdout)
            rates.append(figures["chunks"] / figures["wall"])
            per_cpu.append(figures["chunks"] / figures["cpu"])
    say(f"  end to end: {median(rates):,.0f} chunks/s, {median(per_cpu):,.0f} per CPU-s")
    return [
        Row(
            "chunks through httpx + paced reads + NDJSON, end to end",
            f"{median(rates):,.0f} chunks/s",
            detail=f"{median(per_cpu):,.0f} chunks per CPU second; reads are paced to the "
            f"frame clock, so a server faster than this waits; median of {runs}",
        )
    ]


def throughput_rows(quick: bool) -> list[Row]:
    """NDJSON + Reply throughput in memory, per-line and batched."""
    lines = wire_lines(8000)
    body = b"".join(lines)
    batched = [body[i : i + 65536] for i in range(0, len(body), 65536)]
    passes = 5 if quick else 15
    one = chunks_per_second(lines, len(lines), passes)
    many = chunks_per_second(batched, len(lines), passes)
    return [
        Row(
            "in memory: NDJSON decode + Reply.feed, one chunk per read",
            f"{one:,.0f} chunks/s",
            "≥ 200,000 chunks/s",
            one >= 200_000,
            f"{len(lines):,} chunks of an 8,000-token answer; median of {passes}",
        ),
        Row(
            "in memory: NDJSON decode + Reply.feed, 64 KiB reads",
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
        # a window the whole conversation fits, so the context guard never stops to ask
        window = ["-o", f"num_ctx={2 * turns * TURN_TOKENS}"]
        argv = [TERMCHAT, "-m", "qwen3", "--no-think", *window, "--host", server.url]
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
    say("client throughput: end to end through httpx, and NDJSON decoding in memory")
    return [
        *wire_rows(1 if quick else 3, say),
        *throughput_rows(quick),
        *memory_rows(10, budget, say),
    ]
