"""Render cost of every shape of answer: termchat against the one-process floor on the same text.

Each case streams one shape (tests/fakeshapes.py) from the stand-in (its own process) at
400 tokens/s into a 100x40 pseudo-terminal, at 2,000 and 8,000 tokens. The figure is the
client's whole-process CPU time (user + system, from `os.wait4`): termchat (`-p`, rendered as
the REPL renders a reply) and the floor client (clients.py: the raw text as it arrives, one
write per read, then the answer rendered once). Within each run every case goes 2k and 8k,
termchat and floor back to back, their order alternating from run to run, so a change in the
machine's load hits both sides of a ratio alike; ratios are taken per run (paired) and their
median is reported with the spread. The same termchat runs give frame cost and lag at
400 tok/s (bench_lag.analyse) and check that every frame is wrapped in synchronized update.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import ptyrun
from bench_lag import measured, termchat_argv
from common import CLIENTS, PYTHON, SYNC_BEGIN, SYNC_END, Budget, Log, Row, median
from server import StandIn, prompt

TPS = 400
SIZES = (2000, 8000)
NAIVE_CAP = 15.0  # seconds before the naive client is stopped


@dataclass(frozen=True)
class Case:
    """One shape of answer, and whether its reasoning is asked for and shown."""

    name: str
    shape: str
    think: str = "off"  # off, shown, hidden (clients.py and termchat_argv)
    goal: float = 1.5  # termchat CPU ÷ floor CPU at 8k tokens


CASES = (
    Case("Markdown (mixed)", "markdown", goal=1.3),
    Case("prose", "prose", goal=1.3),
    Case("code-heavy", "code"),
    Case("one code block", "codeblock"),
    Case("many tables", "tables"),
    Case("one wide table", "wide"),
    Case("nested list, 8 levels", "lists"),
    Case("long lines, no spaces", "longlines"),
    Case("one long paragraph, one long quote", "paragraphs"),
    Case("numbered steps with code", "steps"),
    Case("reasoning shown", "reasoning", "shown"),
    Case("reasoning collapsed", "reasoning", "hidden"),
)
QUICK = ("markdown", "wide", "lists", "reasoning")


@dataclass
class Figures:
    """What the runs of one case gave, per size."""

    cpu: dict[tuple[str, int], list[float]] = field(default_factory=dict)
    frames: dict[int, list[dict[str, float]]] = field(default_factory=dict)
    loads: list[float] = field(default_factory=list)
    unsynced: int = 0
    frames_seen: int = 0

    def add(self, client: str, size: int, cpu: float) -> None:
        self.cpu.setdefault((client, size), []).append(cpu)

    def paired(self, top: tuple[str, int], bottom: tuple[str, int]) -> list[float]:
        """Per-run ratios of two series measured side by side."""
        return [a / b for a, b in zip(self.cpu[top], self.cpu[bottom], strict=False) if b]


def floor_argv(url: str, question: str, think: str) -> list[str]:
    """The one-process floor client (clients.py)."""
    return [PYTHON, CLIENTS, "floor", url, question, think]


def sync_frames(output: bytes) -> tuple[int, int]:
    """(frames wrapped in synchronized update, bytes written outside any such frame)."""
    frames = outside = pos = 0
    while True:
        begin = output.find(SYNC_BEGIN, pos)
        if begin < 0:
            return frames, outside + len(output) - pos
        outside += begin - pos
        end = output.find(SYNC_END, begin)
        nested = output.find(SYNC_BEGIN, begin + len(SYNC_BEGIN))
        if end < 0 or 0 <= nested < end:
            return frames, outside + len(output) - begin
        frames += 1
        pos = end + len(SYNC_END)


def one_pair(server: StandIn, case: Case, size: int, flip: bool, folder: Path, got: Figures) -> str:
    """termchat and the floor on one shape and size, in the order `flip` says; a log line."""
    question = prompt(case.shape, size, TPS)
    timeout = size / TPS * 3 + 30
    order = ("floor", "termchat") if flip else ("termchat", "floor")
    for client in order:
        got.loads.append(os.getloadavg()[0])
        if client == "termchat":
            run, figures = measured(
                server, termchat_argv(server.url, question, case.think), folder, timeout
            )
            got.frames.setdefault(size, []).append(figures)
            frames, outside = sync_frames(run.output)
            got.frames_seen += frames
            got.unsynced += outside
        else:
            run = ptyrun.run(floor_argv(server.url, question, case.think), timeout=timeout)
            if run.status != 0:
                raise RuntimeError(f"floor failed ({run.status}): {run.output[-300:]!r}")
        got.add(client, size, run.cpu)
    mine, floor = got.cpu[("termchat", size)][-1], got.cpu[("floor", size)][-1]
    return f"{size // 1000}k {mine:.2f}/{floor:.2f}"


def measure(cases: list[Case], runs: int, budget: Budget, say: Log) -> dict[Case, Figures]:
    """Every case, both sizes, termchat and floor, `runs` times; interleaved."""
    results = {case: Figures() for case in cases}
    per_run = sum(2 * size / TPS + 4 for size in SIZES) * len(cases)
    with StandIn() as server, tempfile.TemporaryDirectory(prefix="termchat-bench-") as tmp:
        folder = Path(tmp)
        ptyrun.run(termchat_argv(server.url, "hi"), timeout=30, env={"TERMCHAT_HOME": tmp})
        for index in range(runs):
            if index and budget.left() < per_run + 30:
                say(f"  shapes: time budget reached after {index} runs")
                break
            for number, case in enumerate(cases):
                flip = (index + number) % 2 == 1
                sizes = SIZES[::-1] if flip else SIZES
                got = results[case]
                notes = [one_pair(server, case, size, flip, folder, got) for size in sizes]
                say(f"  run {index + 1}, {case.name}: termchat/floor CPU-s " + ", ".join(notes))
    return results


def measure_naive(say: Log) -> float | None:
    """CPU of the naive client on 2,000 tokens of Markdown; None when it was stopped."""
    with StandIn() as server:
        argv = [PYTHON, CLIENTS, "naive", server.url, prompt("markdown", 2000, TPS)]
        run = ptyrun.run(argv, timeout=NAIVE_CAP)
    say(f"  naive Live(Markdown), 2,000 tokens: {run.cpu:.1f} CPU-s, {run.wall:.1f} s wall")
    return None if run.killed else run.cpu


def _spread(values: list[float], digits: int = 2) -> str:
    if len(values) < 2:
        return "1 run"
    return f"{min(values):.{digits}f}–{max(values):.{digits}f}"


def case_rows(case: Case, got: Figures) -> list[Row]:
    """Rows of one case: CPU ratio at 8k, growth 2k → 8k, frame cost."""
    big, small = SIZES[1], SIZES[0]
    ratio = got.paired(("termchat", big), ("floor", big))
    growth = got.paired(("termchat", big), ("termchat", small))
    floor_growth = got.paired(("floor", big), ("floor", small))
    frames = got.frames.get(big, [])
    p95 = median([f["cost_p95"] for f in frames]) * 1000
    worst = median([f["cost_max"] for f in frames]) * 1000
    lag = median([f["lag_p95"] for f in frames]) * 1000
    cpu = median(got.cpu[("termchat", big)])
    floor = median(got.cpu[("floor", big)])
    frame_goal = 1.0 if case.goal < 1.5 else 5.0
    return [
        Row(
            f"{case.name}: CPU 8k, termchat ÷ floor",
            f"{median(ratio):.2f} ×",
            f"≤ {case.goal} ×",
            median(ratio) <= case.goal,
            f"{cpu:.2f} / {floor:.2f} s; per run {_spread(ratio)}; "
            f"load {min(got.loads):.1f}–{max(got.loads):.1f}",
        ),
        Row(
            f"{case.name}: CPU 8k ÷ 2k",
            f"{median(growth):.2f} ×",
            "≤ 4.5 ×",
            median(growth) <= 4.5,
            f"per run {_spread(growth)}; floor {median(floor_growth):.2f} ×",
        ),
        Row(
            f"{case.name}: frame p95 / max at 8k",
            f"{p95:.2f} / {worst:.1f} ms",
            f"p95 ≤ {frame_goal:g} ms",
            p95 <= frame_goal,
            f"lag p95 {lag:.0f} ms at {TPS} tok/s; p95 per run "
            f"{_spread([f['cost_p95'] * 1000 for f in frames])} ms",
        ),
    ]


def run(quick: bool, runs: int, budget: Budget, say: Log) -> list[Row]:
    """Every shape's rows, the reasoning comparison, naive Live(Markdown) and synchronization."""
    cases = [c for c in CASES if not quick or c.shape in QUICK]
    say(f"shapes: {len(cases)} cases at 2k and 8k tokens, {TPS} tok/s, termchat vs floor")
    results = measure(cases, runs, budget, say)
    rows: list[Row] = []
    for case in cases:
        rows += case_rows(case, results[case])
    by_name = {case.think: results[case] for case in cases if case.shape == "reasoning"}
    if "shown" in by_name and "hidden" in by_name:
        shown = median(by_name["shown"].cpu[("termchat", SIZES[1])])
        hidden = median(by_name["hidden"].cpu[("termchat", SIZES[1])])
        rows.append(
            Row(
                "reasoning: CPU shown ÷ collapsed, 8k",
                f"{shown / hidden:.2f} ×",
                "≤ 1.3 ×",
                shown / hidden <= 1.3,
                f"{shown:.2f} / {hidden:.2f} s (medians)",
            )
        )
    naive = measure_naive(say)
    markdown = results[cases[0]].cpu[("termchat", SIZES[0])]
    rows.append(
        Row(
            "naive Live(Markdown), 2k Markdown: CPU",
            f"{naive:.1f} s" if naive is not None else f"≥ {NAIVE_CAP:.0f} s (stopped)",
            detail=f"termchat {median(markdown):.2f} s; 1 run",
        )
    )
    frames = sum(f.frames_seen for f in results.values())
    unsynced = sum(f.unsynced for f in results.values())
    rows.append(
        Row(
            "synchronized update: frames wrapped",
            f"{frames} frames",
            "every frame, no byte outside",
            frames > 0 and unsynced == 0,
            f"{unsynced} bytes written outside ?2026h…?2026l",
        )
    )
    return rows
