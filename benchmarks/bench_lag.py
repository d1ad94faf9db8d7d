"""Lag: from a piece's arrival to the bytes that show it written to the terminal.

The stand-in stamps each piece when its write to the socket returns (standin.py). termchat
runs in a 100x40 pseudo-terminal with TERMCHAT_FRAME_LOG set: the log says, for each frame
that wrote something, how much of the answer it shows. The terminal side (ptyrun.py) notes when
it read each piece of output; the n-th frame that wrote is the n-th `ESC[?2026l` on the
terminal, so its time is when the terminal received the frame's last byte. A piece's lag is
that time for the first frame showing it, less its stamp: network, reading, parsing, waiting
for the frame, drawing and writing, all of it — what a user waits. Frame cost (start of a
frame to its bytes flushed, from the same log) is reported beside it.
"""

from __future__ import annotations

import bisect
import json
import os
import tempfile
import time
from pathlib import Path

import ptyrun
from common import SYNC_END, TERMCHAT, Budget, Log, Row, median, percentile
from server import StandIn, prompt

TOKENS = 8000
RATES = (400, 1000)
TARGET = {1000: (0.060, 0.120)}  # p95, max goals (seconds) at that rate


def termchat_argv(url: str, question: str, think: str = "off") -> list[str]:
    """termchat answering one question (-p), rendered exactly as the REPL renders a reply."""
    flags = {
        "off": ["--no-think"],
        "shown": ["--think", "--show-thinking"],
        "hidden": ["--think", "--hide-thinking"],
    }[think]
    return [TERMCHAT, "-m", "qwen3", *flags, "-p", question, "--host", url]


def end_times(chunks: list[tuple[float, bytes]]) -> list[float]:
    """When the terminal read each `ESC[?2026l` (the end of a synchronized frame)."""
    output = b"".join(data for _, data in chunks)
    ends: list[int] = []  # offset just after each chunk
    total = 0
    for _, data in chunks:
        total += len(data)
        ends.append(total)
    times: list[float] = []
    pos = output.find(SYNC_END)
    while pos >= 0:
        last = pos + len(SYNC_END) - 1
        times.append(chunks[bisect.bisect_right(ends, last)][0])
        pos = output.find(SYNC_END, pos + 1)
    return times


def analyse(
    frames: list[dict[str, float]],
    stamps: list[tuple[float, int, int]],
    chunks: list[tuple[float, bytes]],
) -> dict[str, float]:
    """Lag and frame-cost figures (seconds) of one run.

    Args:
        frames: The frame log's entries.
        stamps: The stand-in's (time, thinking chars, answer chars) per piece.
        chunks: The terminal's reads: (time, bytes).

    Returns:
        lag_p50/p95/max (over the answer's pieces), cost_p95/max (frames that wrote),
        `frames` (that wrote) and `mismatch` (1.0 when the terminal's frames and the log's
        disagree, and lag could not be paired).
    """
    written = [f for f in frames if f["bytes"]]
    costs = [f["end"] - f["start"] for f in written]
    seen = end_times(chunks)
    figures = {
        "cost_p95": percentile(costs, 0.95),
        "cost_max": max(costs, default=0.0),
        "frames": float(len(written)),
        "mismatch": 0.0,
    }
    # + 1: after the last frame, `stop` shows the cursor again (also synchronized)
    if len(seen) != len(written) + 1:
        figures["mismatch"] = 1.0
        return {**figures, "lag_p50": 0.0, "lag_p95": 0.0, "lag_max": 0.0}
    shown = [f["shown"] for f in written]
    lags: list[float] = []
    before = 0
    for when, _, said in stamps:
        if said <= before:
            continue  # a reasoning piece: the log counts the answer only
        before = said
        index = bisect.bisect_left(shown, said)
        if index < len(written):
            lags.append(seen[index] - when)
    return {
        **figures,
        "lag_p50": percentile(lags, 0.5),
        "lag_p95": percentile(lags, 0.95),
        "lag_max": max(lags, default=0.0),
    }


def render_once_cpu(tokens: int, runs: int = 3) -> float:
    """CPU seconds rich needs to render the whole Markdown answer once, in this process (the
    median of `runs`): what the text a frame brings costs at the least, spread over the frames."""
    import io
    import sys

    from common import ROOT

    sys.path.insert(0, str(ROOT / "tests"))
    from fakeshapes import shape
    from rich.console import Console
    from rich.markdown import Markdown

    _, text = shape("markdown", tokens)
    times = []
    for _ in range(runs):
        began = time.process_time()
        Console(file=io.StringIO(), width=100, force_terminal=True).print(Markdown(text))
        times.append(time.process_time() - began)
    return median(times)


def measured(
    server: StandIn, argv: list[str], folder: Path, timeout: float
) -> tuple[ptyrun.Finished, dict[str, float]]:
    """Run termchat once with a frame log; the run and its lag and frame figures."""
    log = folder / "frames.jsonl"
    log.unlink(missing_ok=True)
    env = {"TERMCHAT_HOME": str(folder), "TERMCHAT_FRAME_LOG": str(log)}
    run = ptyrun.run(argv, timeout=timeout, env=env, cwd=folder)
    if run.status != 0:
        raise RuntimeError(f"termchat failed ({run.status}): {run.output[-300:]!r}")
    frames = [json.loads(line) for line in log.read_text().splitlines()]
    return run, analyse(frames, server.stamps(), run.chunks)


def run(quick: bool, runs: int, budget: Budget, say: Log) -> list[Row]:
    """Lag at each rate for an ordinary Markdown answer (medians over the runs)."""
    tokens = 4000 if quick else TOKENS
    say(f"lag: {tokens:,} tokens of Markdown at {' and '.join(map(str, RATES))} tok/s")
    results: dict[int, list[dict[str, float]]] = {rate: [] for rate in RATES}
    loads: list[float] = []
    with StandIn() as server, tempfile.TemporaryDirectory(prefix="termchat-bench-") as tmp:
        folder = Path(tmp)
        ptyrun.run(termchat_argv(server.url, "hi"), timeout=30, env={"TERMCHAT_HOME": tmp})
        for index in range(runs):
            if index and budget.left() < sum(tokens / r for r in RATES) + 30:
                say(f"  lag: time budget reached after {index} runs")
                break
            for rate in RATES if index % 2 == 0 else RATES[::-1]:
                loads.append(os.getloadavg()[0])
                argv = termchat_argv(server.url, prompt("markdown", tokens, rate))
                _, figures = measured(server, argv, folder, tokens / rate * 3 + 30)
                results[rate].append(figures)
                say(
                    f"  {rate} tok/s run {index + 1}: lag p95 {figures['lag_p95'] * 1000:.0f} ms,"
                    f" max {figures['lag_max'] * 1000:.0f} ms; frame p95 "
                    f"{figures['cost_p95'] * 1000:.1f} ms"
                )
    rows: list[Row] = []
    load = f"load {min(loads):.1f}–{max(loads):.1f}"
    once = render_once_cpu(tokens)
    for rate in RATES:
        got = results[rate]

        def mid(key: str, got: list[dict[str, float]] = got) -> float:
            return median([r[key] for r in got]) * 1000

        def span(key: str, got: list[dict[str, float]] = got) -> str:
            values = [r[key] * 1000 for r in got]
            return f"{min(values):.0f}–{max(values):.0f}"

        p95, worst = mid("lag_p95"), mid("lag_max")
        goal = TARGET.get(rate)
        mismatched = sum(int(r["mismatch"]) for r in got)
        rows.append(
            Row(
                f"lag at {rate} tok/s: arrival → written, p50 / p95 / max",
                f"{mid('lag_p50'):.0f} / {p95:.0f} / {worst:.0f} ms",
                f"p95 ≤ {goal[0] * 1000:.0f}, max ≤ {goal[1] * 1000:.0f} ms" if goal else "",
                (p95 <= goal[0] * 1000 and worst <= goal[1] * 1000) if goal else None,
                f"{len(got)} runs: p95 {span('lag_p95')}, max {span('lag_max')} ms; {load}"
                + (f"; {mismatched} runs unpaired" if mismatched else ""),
            )
        )
        rows.append(
            Row(
                f"frame cost at {rate} tok/s, p95 / max",
                f"{mid('cost_p95'):.2f} / {mid('cost_max'):.1f} ms",
                "p95 ≤ 1 ms (ordinary Markdown)",
                mid("cost_p95") <= 1.0,
                f"wall time, start of a frame to its bytes flushed; p95 {span('cost_p95')} ms; "
                f"floor: rich renders the answer once in {once:.2f} CPU-s, "
                f"{once / median([r['frames'] for r in got]) * 1000:.2f} ms per frame",
            )
        )
    return rows
