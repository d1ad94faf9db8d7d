"""The REPL as a user runs it: a streamed reply, idle at the prompt, waiting for a first token,
resuming a long conversation.

Everything runs in a 100x40 pseudo-terminal against the stand-in (its own process). CPU is read
from /proc/PID/stat (user + system) before and after each measured stretch, so the REPL's
start-up is left out:

- reply: an 8,000-token Markdown answer at 400 tok/s, from Enter to its footer; the one-process
  floor (clients.py) on the same answer is run beside it, interleaved, for scale;
- idle: 30 s at the prompt, nothing typed (after the background warm-up is over);
- waiting: a question the stand-in answers after 10 s of silence; CPU over that silence;
- resume: `termchat -r ID` of a conversation of 10,000 and 100,000 messages (built with the
  store's schema, about 600 characters a message), from spawn to the drawn prompt, and the
  resident memory then against a REPL started without one.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import bench_store
import ptyrun
from bench_render import floor_argv
from common import TERMCHAT, Budget, Log, Row, median
from server import StandIn, prompt

TOOLBAR = b"thinking:"
FOOTER = " tok/s · ".encode()
TICKS = os.sysconf("SC_CLK_TCK")
REPLY_TOKENS = 8000
TPS = 400
IDLE = 30.0
WAIT = 10.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def repl(url: str, home: str, *extra: str) -> tuple[ptyrun.PtyProcess, float]:
    """The REPL in a pty once its prompt and toolbar are drawn; seconds that took."""
    argv = [TERMCHAT, "-m", "qwen3", "--no-think", "--host", url, *extra]
    process = ptyrun.PtyProcess(argv, env={"TERMCHAT_HOME": home})
    seen = process.wait_for(TOOLBAR, timeout=30)
    if seen is None:
        process.finish(timeout=0)
        raise RuntimeError(f"the REPL did not start: {process.result.output[-300:]!r}")
    return process, seen - process.started


def settle(process: ptyrun.PtyProcess, seconds: float = 2.0) -> None:
    """Wait until the REPL has used no CPU for a while (its background loading is done)."""
    deadline = time.monotonic() + 20
    before = cpu_seconds(process.process.pid)
    while time.monotonic() < deadline:
        time.sleep(seconds / 4)
        now = cpu_seconds(process.process.pid)
        if now - before < 0.005:
            return
        before = now


def reply_rows(process: ptyrun.PtyProcess, url: str, runs: int, say: Log) -> list[Row]:
    """CPU of a streamed reply in the REPL against the floor's whole run."""
    question = prompt("markdown", REPLY_TOKENS, TPS)
    spent: list[float] = []
    floors: list[float] = []
    settle(process)
    for index in range(runs):
        if index % 2:
            floors.append(ptyrun.run(floor_argv(url, question, "off"), timeout=90).cpu)
        before = cpu_seconds(process.process.pid)
        process.send(question + "\r")
        if not process.wait_count(FOOTER, index + 1, timeout=REPLY_TOKENS / TPS * 3 + 30):
            raise RuntimeError("the REPL's reply did not end")
        spent.append(cpu_seconds(process.process.pid) - before)
        if not index % 2:
            floors.append(ptyrun.run(floor_argv(url, question, "off"), timeout=90).cpu)
        say(f"  REPL reply {index + 1}: {spent[-1]:.2f} CPU-s (floor {floors[-1]:.2f})")
    ratio = median(spent) / median(floors)
    return [
        Row(
            f"REPL: CPU of a streamed reply ({REPLY_TOKENS:,} tok @{TPS}/s)",
            f"{median(spent):.2f} s",
            detail=f"{ratio:.2f} × the floor's whole run ({median(floors):.2f} s); "
            f"{len(spent)} runs {min(spent):.2f}–{max(spent):.2f} s",
        )
    ]


def idle_rows(process: ptyrun.PtyProcess, say: Log) -> list[Row]:
    """CPU at the prompt with nothing to do."""
    settle(process)
    before = cpu_seconds(process.process.pid)
    time.sleep(IDLE)
    share = (cpu_seconds(process.process.pid) - before) / IDLE
    say(f"  idle at the prompt: {share * 100:.2f} % of a core")
    return [
        Row(
            f"REPL: CPU idle at the prompt, {IDLE:.0f} s",
            f"{share * 100:.2f} % of a core",
            "< 0.5 %",
            share < 0.005,
            f"clock ticks of {1 / TICKS * 1000:.0f} ms",
        )
    ]


def waiting_rows(process: ptyrun.PtyProcess, say: Log) -> list[Row]:
    """CPU while the server is silent before the first token."""
    done = process.result.output.count(FOOTER)
    process.send(prompt("prose", 50, TPS, wait=WAIT) + "\r")
    time.sleep(0.5)  # the question is sent, the spinner runs
    before = cpu_seconds(process.process.pid)
    time.sleep(WAIT - 1.5)
    share = (cpu_seconds(process.process.pid) - before) / (WAIT - 1.5)
    if not process.wait_count(FOOTER, done + 1, timeout=30):
        raise RuntimeError("the REPL's slow reply did not end")
    say(f"  waiting for a first token: {share * 100:.2f} % of a core")
    return [
        Row(
            f"REPL: CPU waiting {WAIT:.0f} s for a first token",
            f"{share * 100:.2f} % of a core",
            "< 2 %",
            share < 0.02,
            "the spinner and the 'waiting' line are drawn meanwhile",
        )
    ]


def resume_rows(url: str, counts: tuple[int, ...], runs: int, say: Log) -> list[Row]:
    """Time to the prompt and memory of resuming long conversations."""
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="termchat-bench-") as home:
        fresh, _ = repl(url, home)
        with fresh:  # the memory of a REPL without a conversation
            settle(fresh)
            base = fresh.rss_mb()
            fresh.send("\x04")
            fresh.finish(timeout=10)
        database = Path(home) / "sessions.db"
        for count in counts:
            database.unlink(missing_ok=True)
            sid, _ = bench_store.build(database, sessions=1, per_session=count, chars=600)
            say(f"  resume: built {count:,} messages ({database.stat().st_size / 1e6:.0f} MB)")
            times: list[float] = []
            grew: list[float] = []
            for _ in range(runs + 1):  # the first run warms the file cache
                process, took = repl(url, home, "-r", sid)
                with process:
                    times.append(took)
                    settle(process)
                    grew.append(process.rss_mb() - base)
                    process.send("\x04")
                    process.finish(timeout=10)
            times, grew = times[1:], grew[1:]
            say(f"  resume {count:,}: {median(times) * 1000:.0f} ms, +{median(grew):.0f} MB")
            goal = count >= 100_000
            rows.append(
                Row(
                    f"REPL: resume {count:,} messages to a drawn prompt",
                    f"{median(times) * 1000:.0f} ms, +{median(grew):.0f} MB",
                    "≤ 400 ms, ≤ +20 MB" if goal else "",
                    median(times) <= 0.4 and median(grew) <= 20 if goal else None,
                    f"{len(times)} runs {min(times) * 1000:.0f}–{max(times) * 1000:.0f} ms; "
                    f"memory against a REPL without a conversation ({base:.0f} MB)",
                )
            )
    return rows


def run(quick: bool, runs: int, budget: Budget, say: Log) -> list[Row]:
    """The REPL rows."""
    say("REPL: a streamed reply, idle, waiting, resume")
    rows: list[Row] = []
    with StandIn() as server, tempfile.TemporaryDirectory(prefix="termchat-bench-") as home:
        process, _ = repl(server.url, home)
        with process:
            rows += reply_rows(process, server.url, max(2, runs), say)
            rows += idle_rows(process, say) if not quick else []
            rows += waiting_rows(process, say)
            process.send("\x04")
            process.finish(timeout=10)
        counts = (10_000,) if quick else (10_000, 100_000)
        rows += resume_rows(server.url, counts, 1 if quick else 3, say)
    return rows
