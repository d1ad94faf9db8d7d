"""The benchmark: every performance goal of termchat measured in one run, as one table.

    python benchmarks/run.py            # full: 3 runs of every streamed case (see README)
    python benchmarks/run.py --quick    # 1 run, four shapes, smaller databases
    python benchmarks/run.py --only shapes,lag --runs 5

Sections (each module's docstring says how it measures), in the order they run:

- startup (bench_startup): --version, --help, `-p` CPU, the REPL prompt;
- client (bench_client): NDJSON + accumulation throughput, memory over 100,000 tokens;
- lag (bench_lag): arrival → written at 400 and 1,000 tok/s, frame cost;
- shapes (bench_render): every shape of answer at 2k and 8k tokens, termchat against the
  one-process floor, interleaved; reasoning shown against collapsed; synchronized update;
- repl (bench_repl): CPU of a reply in the REPL, idle, waiting for a first token; resume of
  10,000 and 100,000 messages to a drawn prompt;
- store (bench_store): the session store (resume, list, search).

Figures are medians of the runs, with their spread, and the machine's load average (1 minute)
is noted around every streamed run: on a shared machine a figure means little without it.
Exit status 1 when a goal is missed. Every process the benchmark starts is stopped, also on
Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import sys
import time
from importlib.metadata import version

import bench_client
import bench_lag
import bench_render
import bench_repl
import bench_startup
import bench_store
from common import Budget, Log, Row

BUDGET = {True: 600.0, False: 3600.0}  # seconds (quick, full); cases cut extra runs to fit
SECTIONS = ("startup", "client", "lag", "shapes", "repl", "store")


def machine() -> str:
    """One line about where this ran."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            names = [line.split(":", 1)[1] for line in info if line.startswith("model name")]
        cpu = names[0].strip() if names else cpu
    except OSError:
        pass
    packages = ", ".join(
        f"{name} {version(name)}" for name in ("rich", "prompt_toolkit", "httpx", "typer")
    )
    return (
        f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, {packages}"
    )


def store_rows(quick: bool, say: Log) -> list[Row]:
    """bench_store's rows in this table's form."""
    say("session store: resume, list, search")
    return [
        Row(
            f"store: {row['case']}",
            f"{row['median_s'] * 1000:.1f} ms",
            f"< {row['goal_s'] * 1000:.0f} ms",
            bool(row["passed"]),
            row["detail"],
        )
        for row in bench_store.run(quick=quick)
    ]


def print_table(rows: list[Row]) -> None:
    """The rows as an aligned plain-text table."""
    head = ("case", "median", "goal", "result", "detail")
    cells = [
        (r.case, r.value, r.goal, {True: "pass", False: "FAIL", None: ""}[r.passed], r.detail)
        for r in rows
    ]
    widths = [max(len(c[i]) for c in [head, *cells]) for i in range(4)]
    for line in [head, *cells]:
        padded = [text.ljust(width) for text, width in zip(line, widths, strict=False)]
        print("  ".join([*padded, line[4]]))


def main(argv: list[str] | None = None) -> int:
    """Run every case, print the table; 1 when a goal was missed."""
    parser = argparse.ArgumentParser(description="termchat's performance benchmark")
    parser.add_argument("--quick", action="store_true", help="one run per case (~2 minutes)")
    parser.add_argument("--runs", type=int, help="runs of each streamed case (default 3; 1)")
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help=f"sections to run, of {', '.join(SECTIONS)}"
    )
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    if not only <= set(SECTIONS):
        parser.error(f"unknown section in --only: {', '.join(sorted(only - set(SECTIONS)))}")
    # SIGTERM / SIGHUP unwind like Ctrl-C, so every server and client started is stopped
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda number, frame: sys.exit(128 + number))
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:  # started in the background
        signal.signal(signal.SIGINT, signal.default_int_handler)
    runs = args.runs or (1 if args.quick else 3)
    budget = Budget(BUDGET[args.quick])
    began = time.monotonic()

    def say(line: str) -> None:
        print(f"[{time.monotonic() - began:5.0f} s] {line}", file=sys.stderr, flush=True)

    loads = [os.getloadavg()]
    rows: list[Row] = []
    if "startup" in only:
        rows += bench_startup.run(args.quick, say)
    if "client" in only:
        rows += bench_client.run(args.quick, budget, say)
    if "lag" in only:
        rows += bench_lag.run(args.quick, runs, budget, say)
    if "shapes" in only:
        rows += bench_render.run(args.quick, runs, budget, say)
    if "repl" in only:
        rows += bench_repl.run(args.quick, runs, budget, say)
    if "store" in only:
        rows += store_rows(args.quick, say)
    loads.append(os.getloadavg())
    print(f"\ntermchat benchmark ({'quick' if args.quick else 'full'}, {runs} run(s) per case)")
    print(machine())
    print(
        f"took {time.monotonic() - began:.0f} s; load average (1, 5, 15 min) "
        + " at the start, ".join(", ".join(f"{x:.2f}" for x in load) for load in loads)
        + " at the end\n"
    )
    print_table(rows)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            report = {"machine": machine(), "loads": loads, "rows": [r.as_dict() for r in rows]}
            json.dump(report, out, indent=2)
    return 0 if all(row.passed is not False for row in rows) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; every process it started is stopped", file=sys.stderr)
        sys.exit(130)
