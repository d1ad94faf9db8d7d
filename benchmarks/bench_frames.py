"""Never behind: at 1,000 tok/s, is every token on screen by the next frame; what frames cost.

termchat runs in a 100x40 pseudo-terminal with TERMCHAT_FRAME_LOG set, talking to the fake
server through a relay (relay.py) that notes when each token came off the network. The frame
log has an entry for every tick of the frame timer: when it began, when its bytes were written
and flushed, and how much of the answer the terminal then shows. A frame draws what was read
just before it (the read lead, termchat.cadence.READ_LEAD), so:

- missed: tokens that had arrived before a frame's read, yet that frame did not show them
  (a client falling behind misses frames; the goal is none at all: at most one frame behind);
- wait: for each token, from its arrival to the bytes of the first frame showing it written
  (one frame interval plus the read lead plus the draw, at most);
- behind: for each frame that shows new text, written time minus the newest text's arrival;
- frame cost: wall time from the start of a frame to its bytes flushed (CPU time beside it).

The captured terminal output is also checked: as many synchronized-update frames as the log
has frames that wrote something.
"""

from __future__ import annotations

import bisect
import json
import tempfile
from pathlib import Path

import ptyrun
from bench_render import PROMPT, sync_frames, termchat_argv
from common import Budget, Log, Row, median, percentile
from relay import Relay
from server import FakeServerProcess

from termchat.cadence import READ_LEAD

TPS = 1000
JITTER = 0.002  # seconds of timer and relay jitter allowed before a frame counts as missed


def analyse(frames: list[dict[str, float]], arrivals: list[tuple[float, int]]) -> dict[str, float]:
    """Miss, wait, lag and cost figures (seconds) from the frame log and the relay's arrivals."""
    times = [t for t, _ in arrivals]
    totals = [n for _, n in arrivals]
    behind: list[float] = []
    before = 0.0
    for frame in frames:  # the frames that brought new text to the screen
        index = bisect.bisect_left(totals, frame["shown"])
        if frame["bytes"] and frame["shown"] > before and index < len(times):
            behind.append(frame["end"] - times[index])
            before = frame["shown"]
    waits: list[float] = []
    missed = 0
    first = 0
    reads = [f["start"] - READ_LEAD - JITTER for f in frames]  # when each frame's data was read
    for when, total in arrivals:
        while first < len(frames) and frames[first]["shown"] < total:
            first += 1
        if first < len(frames):
            waits.append(frames[first]["end"] - when)
        missed += int(bisect.bisect_left(reads, when) < first)  # a frame after it did not show it
    costs = [f["end"] - f["start"] for f in frames if f["bytes"]]
    cpus = [f["cpu"] for f in frames if f["bytes"]]
    return {
        "missed": float(missed),
        "behind_p95": percentile(behind, 0.95),
        "behind_max": max(behind, default=0.0),
        "wait_p95": percentile(waits, 0.95),
        "wait_max": max(waits, default=0.0),
        "cost_p95": percentile(costs, 0.95),
        "cost_max": max(costs, default=0.0),
        "cpu_p95": percentile(cpus, 0.95),
        "cpu_max": max(cpus, default=0.0),
        "frames": float(len(frames)),
        "written": float(len(costs)),
        "tokens": float(len(arrivals)),
    }


def one_run(relay: Relay, tmp: Path, tokens: int) -> tuple[dict[str, float], int]:
    """One streamed answer; its figures and the synchronized frames seen on the terminal."""
    log = tmp / "frames.jsonl"
    log.unlink(missing_ok=True)
    relay.reset()
    env = {"TERMCHAT_HOME": str(tmp), "TERMCHAT_FRAME_LOG": str(log)}
    run = ptyrun.run(termchat_argv(relay.url, PROMPT), timeout=tokens / TPS * 3 + 30, env=env)
    if run.status != 0:
        raise RuntimeError(f"termchat failed ({run.status}): {run.output[-300:]!r}")
    frames = [json.loads(line) for line in log.read_text().splitlines()]
    synced, _ = sync_frames(run.output)
    return analyse(frames, list(relay.arrivals)), synced


def run(quick: bool, runs: int, budget: Budget, say: Log) -> list[Row]:
    """The never-behind rows (medians over the runs; missed tokens summed)."""
    tokens = 4000 if quick else 8000
    say(f"never behind: {tokens:,} tokens at {TPS} tok/s through a timing relay")
    results: list[dict[str, float]] = []
    mismatched = 0
    with (
        FakeServerProcess(tps=TPS, long_tokens=tokens) as server,
        tempfile.TemporaryDirectory(prefix="termchat-bench-") as folder,
    ):
        relay = Relay(server.url)
        try:
            for index in range(runs):
                if index and budget.left() < tokens / TPS * 2 + 20:
                    break
                figures, synced = one_run(relay, Path(folder), tokens)
                # + 1: after the last frame, `stop` shows the cursor again (also synchronized)
                mismatched += int(synced != figures["written"] + 1)
                results.append(figures)
                say(
                    f"  run {index + 1}: {figures['missed']:.0f} tokens missed a frame, "
                    f"wait max {figures['wait_max'] * 1000:.1f} ms, "
                    f"frame p95 {figures['cost_p95'] * 1000:.1f} ms, "
                    f"max {figures['cost_max'] * 1000:.1f} ms"
                )
        finally:
            relay.close()

    def worst(key: str) -> float:
        return max(r[key] for r in results) * 1000

    def middle(key: str) -> float:
        return median([r[key] for r in results]) * 1000

    missed = sum(int(r["missed"]) for r in results)
    tokens_seen = sum(int(r["tokens"]) for r in results)
    count = f"median of {len(results)} runs; {int(results[0]['written'])} frames/run"
    return [
        Row(
            f"never behind at {TPS} tok/s: tokens a frame missed",
            f"{missed} of {tokens_seen:,}",
            "0: on screen by the next frame",
            missed == 0,
            f"{len(results)} runs; a frame shows all that arrived before its read",
        ),
        Row(
            "  wait from arrival to on screen, max",
            f"{middle('wait_max'):.1f} ms",
            detail=(
                f"p95 {middle('wait_p95'):.1f} ms; at most one frame: 50 ms + "
                f"{READ_LEAD * 1000:.0f} ms read lead + the draw"
            ),
        ),
        Row(
            "  newest text on screen vs its arrival, max",
            f"{middle('behind_max'):.1f} ms",
            detail=f"p95 {middle('behind_p95'):.1f} ms, per frame that shows new text",
        ),
        Row(
            f"frame cost at {TPS} tok/s, p95",
            f"{middle('cost_p95'):.2f} ms",
            "≤ 5 ms",
            middle("cost_p95") <= 5,
            f"wall time (CPU {middle('cpu_p95'):.2f} ms); worst run {worst('cost_p95'):.2f} ms; "
            + count,
        ),
        Row(
            f"frame cost at {TPS} tok/s, max",
            f"{middle('cost_max'):.2f} ms",
            "≤ 20 ms",
            middle("cost_max") <= 20,
            f"wall time (CPU {middle('cpu_max'):.2f} ms); worst run {worst('cost_max'):.2f} ms",
        ),
        Row(
            "frames on the terminal = frames logged",
            "yes" if not mismatched else f"{mismatched} runs differ",
            "all runs",
            not mismatched,
            "synchronized-update pairs counted in the captured output",
        ),
    ]
