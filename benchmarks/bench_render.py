"""Render cost: termchat against the raw-write and render-once floors and naive Live(Markdown).

Every client streams the same long Markdown answer from the fake server (its own process) at
400 tokens/s into a 100x40 pseudo-terminal; the figure is the client's whole-process CPU time
(user + system, from `os.wait4`). The same runs check that every frame termchat wrote is wrapped
in synchronized-update sequences.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import ptyrun
from common import CLIENTS, PYTHON, SYNC_BEGIN, SYNC_END, TERMCHAT, Budget, Log, Row, median
from common import spread as spread_text
from server import FakeServerProcess

TPS = 400
PROMPT = "long answer, please"  # the fake server answers prompts starting with "long" at length
SHORT = "hi"  # the short echo reply: start-up cost
NAIVE_CAP = {False: 40.0, True: 15.0}  # seconds before the naive client is stopped (quick)


@dataclass
class Sizes:
    """Figures of one answer length."""

    tokens: int
    cpu: dict[str, list[float]] = field(default_factory=dict)
    wall: dict[str, list[float]] = field(default_factory=dict)
    frames: int = 0
    unwrapped: int = 0
    naive_stopped: bool = False

    def add(self, name: str, run: ptyrun.Finished) -> None:
        self.cpu.setdefault(name, []).append(run.cpu)
        self.wall.setdefault(name, []).append(run.wall)

    def med(self, name: str) -> float:
        return median(self.cpu.get(name, []))


def termchat_argv(url: str, prompt: str) -> list[str]:
    """termchat answering one question, rendered exactly as the REPL renders a reply."""
    return [TERMCHAT, "-m", "qwen3", "--no-think", "-p", prompt, "--host", url]


def client_argv(mode: str, url: str) -> list[str]:
    """One of the reference clients (benchmarks/clients.py)."""
    return [PYTHON, CLIENTS, mode, url, PROMPT]


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


def measure(tokens: int, runs: int, budget: Budget, say: Log) -> Sizes:
    """Run termchat and the floors `runs` times each, interleaved."""
    sizes = Sizes(tokens)
    seconds = tokens / TPS
    with (
        FakeServerProcess(tps=TPS, long_tokens=tokens) as server,
        tempfile.TemporaryDirectory(prefix="termchat-bench-") as tmp,
    ):
        home = {"TERMCHAT_HOME": tmp}
        ptyrun.run(termchat_argv(server.url, SHORT), timeout=30, env=home)  # warm-up
        for index in range(runs):
            if index and budget.left() < 4 * seconds + 30:
                say(f"  {tokens} tokens: time budget reached after {index} runs")
                break
            for name, argv in (
                ("termchat", termchat_argv(server.url, PROMPT)),
                ("raw", client_argv("raw", server.url)),
                ("once", client_argv("once", server.url)),
                ("startup", termchat_argv(server.url, SHORT)),
            ):
                run = ptyrun.run(argv, timeout=seconds * 3 + 30, env=home, cwd=Path(tmp))
                if run.status != 0:
                    raise RuntimeError(f"{name} failed ({run.status}): {run.output[-300:]!r}")
                sizes.add(name, run)
                if name == "termchat":
                    frames, outside = sync_frames(run.output)
                    sizes.frames += frames
                    sizes.unwrapped += outside
            say(
                f"  {tokens} tokens, run {index + 1}: "
                + ", ".join(f"{k} {v[-1]:.2f}" for k, v in sizes.cpu.items())
                + " CPU-s"
            )
    return sizes


def measure_naive(sizes: Sizes, cap: float, say: Log) -> None:
    """One run of the naive client, stopped after `cap` seconds (it is quadratic)."""
    with FakeServerProcess(tps=TPS, long_tokens=sizes.tokens) as server:
        run = ptyrun.run(client_argv("naive", server.url), timeout=cap)
    sizes.add("naive", run)
    sizes.naive_stopped = run.killed
    say(f"  {sizes.tokens} tokens, naive: {run.cpu:.1f} CPU-s, {run.wall:.1f} s wall")


def rows_for(sizes: Sizes, goal: bool) -> list[Row]:
    """Table rows of one answer length (`goal`: the render-cost goal applies to it)."""
    n = f"{sizes.tokens:,}"
    floors = sizes.med("raw") + sizes.med("once")
    termchat = sizes.med("termchat")
    rows = [
        Row(
            f"render {n} tok @{TPS}/s: termchat CPU",
            f"{termchat:.2f} s",
            f"≤ 1.5 × (raw + once) = {1.5 * floors:.2f} s" if goal else "",
            termchat <= 1.5 * floors if goal else None,
            f"{termchat / floors:.2f} × floors; {spread_text(sizes.cpu['termchat'])}",
        ),
        Row(
            f"render {n}: raw-write floor CPU",
            f"{sizes.med('raw'):.2f} s",
            detail=spread_text(sizes.cpu["raw"]),
        ),
        Row(
            f"render {n}: render-once floor CPU",
            f"{sizes.med('once'):.2f} s",
            detail=spread_text(sizes.cpu["once"]),
        ),
    ]
    if "naive" in sizes.cpu:
        cpu = sizes.cpu["naive"][0]
        wall = sizes.wall["naive"][0]
        behind = wall - median(sizes.wall["raw"])
        if sizes.naive_stopped:
            value, note = f"≥ {cpu:.1f} s", f"stopped after {wall:.0f} s, still rendering"
        else:
            value, note = f"{cpu:.1f} s", f"ended {behind:.1f} s after the stream"
        rows.append(
            Row(
                f"render {n}: naive Live(Markdown) CPU",
                value,
                detail=f"{cpu / termchat:.0f} × termchat; {note}; 1 run",
            )
        )
    return rows


def run(quick: bool, runs: int, budget: Budget, say: Log) -> list[Row]:
    """Both answer lengths, the linearity and synchronized-update rows."""
    say("render cost: 8,000 and 2,000 tokens at 400 tok/s in a 100x40 pty")
    big = measure(8000, runs, budget=budget, say=say)
    small = measure(2000, runs, budget=budget, say=say)
    measure_naive(small, NAIVE_CAP[quick], say)  # last: it loads the machine for a while
    if not quick:
        measure_naive(big, NAIVE_CAP[quick], say)
    startup = median(big.cpu["startup"] + small.cpu["startup"])
    linear = (big.med("termchat") - startup) / (small.med("termchat") - startup)
    frames = big.frames + small.frames
    unwrapped = big.unwrapped + small.unwrapped
    return [
        *rows_for(big, goal=True),
        *rows_for(small, goal=False),
        Row(
            "start-up CPU (-p, 15-token answer)",
            f"{startup:.2f} s",
            detail=spread_text(big.cpu["startup"] + small.cpu["startup"]),
        ),
        Row(
            "linear: CPU 8k / CPU 2k, start-up subtracted",
            f"{linear:.2f} ×",
            "≤ 4.5 ×",
            linear <= 4.5,
            f"({big.med('termchat'):.2f} − {startup:.2f}) / ({small.med('termchat'):.2f} − "
            f"{startup:.2f})",
        ),
        Row(
            "synchronized update: frames wrapped",
            f"{frames} frames",
            "every frame, no byte outside",
            frames > 0 and unwrapped == 0,
            f"{unwrapped} bytes written outside ?2026h…?2026l",
        ),
    ]
