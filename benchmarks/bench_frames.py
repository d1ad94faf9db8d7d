"""Never behind: at 1,000 tokens/s, how long text waits to reach the screen, and what frames cost.

termchat runs in a 100x40 pseudo-terminal with TERMCHAT_FRAME_LOG set, talking to the fake
server through a relay (relay.py) that notes when each token came off the network. For each
frame the log gives when its bytes were written and how much of the answer they cover, so:

- behind: for each frame that shows new text, its written time minus the arrival of the newest
  text it shows;
- longest wait: for each token, the written time of the first frame showing it minus its
  arrival (bounded by one frame interval plus that frame's drawing time);
- frame cost: from the start of a frame to its bytes being written and flushed.

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
from common import Budget, Log, Row, percentile
from relay import Relay
from server import FakeServerProcess

TPS = 1000


def analyse(frames: list[dict[str, float]], arrivals: list[tuple[float, int]]) -> dict[str, float]:
    """Lag and cost figures (seconds) from the frame log and the relay's arrivals."""
    times = [t for t, _ in arrivals]
    totals = [n for _, n in arrivals]
    behind: list[float] = []
    before = 0.0
    for frame in frames:  # the frames that brought new text to the screen
        index = bisect.bisect_left(totals, frame["shown"])
        if frame["bytes"] and frame["shown"] > before and index < len(times):
            behind.append(frame["end"] - times[index])
            before = frame["shown"]
    shown = [f for f in frames if f["bytes"]]
    waits: list[float] = []
    first = 0
    for when, total in arrivals:
        while first < len(shown) and shown[first]["shown"] < total:
            first += 1
        if first < len(shown):
            waits.append(shown[first]["end"] - when)
    costs = [f["end"] - f["start"] for f in frames]
    return {
        "behind_p95": percentile(behind, 0.95),
        "behind_max": max(behind, default=0.0),
        "wait_p95": percentile(waits, 0.95),
        "wait_max": max(waits, default=0.0),
        "cost_p95": percentile(costs, 0.95),
        "cost_max": max(costs, default=0.0),
        "frames": float(len(frames)),
        "written": float(len(shown)),
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
    """The never-behind rows (worst figure over the runs)."""
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
                    f"  run {index + 1}: behind max {figures['behind_max'] * 1000:.1f} ms, "
                    f"frame p95 {figures['cost_p95'] * 1000:.1f} ms, "
                    f"max {figures['cost_max'] * 1000:.1f} ms"
                )
        finally:
            relay.close()

    def worst(key: str) -> float:
        return max(r[key] for r in results) * 1000

    count = f"{len(results)} runs, worst shown; {int(results[0]['written'])} frames/run"
    return [
        Row(
            f"behind at {TPS} tok/s (newest text shown vs arrival), max",
            f"{worst('behind_max'):.1f} ms",
            "≤ 50 ms",
            worst("behind_max") <= 50,
            f"p95 {worst('behind_p95'):.1f} ms; {count}",
        ),
        Row(
            f"longest any token waited for the screen at {TPS} tok/s",
            f"{worst('wait_max'):.1f} ms",
            detail=(
                f"p95 {worst('wait_p95'):.1f} ms; one frame: a token that comes just after a "
                "read waits for the next (50 ms + 4 ms read lead + the draw)"
            ),
        ),
        Row(
            f"frame cost at {TPS} tok/s, p95",
            f"{worst('cost_p95'):.2f} ms",
            "≤ 5 ms",
            worst("cost_p95") <= 5,
            count,
        ),
        Row(
            f"frame cost at {TPS} tok/s, max",
            f"{worst('cost_max'):.2f} ms",
            "≤ 20 ms",
            worst("cost_max") <= 20,
            count,
        ),
        Row(
            "frames on the terminal = frames logged",
            "yes" if not mismatched else f"{mismatched} runs differ",
            "all runs",
            not mismatched,
            "synchronized-update pairs counted in the captured output",
        ),
    ]
