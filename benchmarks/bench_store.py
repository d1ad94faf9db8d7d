"""Session store benchmark: resume 10,000 messages, list 10,000 sessions, search ~100 MB.

Run `python benchmarks/bench_store.py [--quick] [--runs N]`; `--quick` searches ~10 MB instead
of ~100 MB. `run(quick)` returns the table rows for a top-level benchmark runner. Databases are
built in a temporary folder with the store's own schema (bulk rows via executemany in one
transaction), then measured through the public SessionStore API; timings are medians with a
warm OS cache.
"""

from __future__ import annotations

import argparse
import functools
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from termchat.store import SessionStore

RUNS = 7
SEED = 20240601


def _vocabulary(rng: random.Random, size: int = 20_000) -> tuple[list[str], list[float]]:
    """Pseudo-words with Zipf-like cumulative weights, so some words are common, most rare."""
    syllables = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"]
    words = sorted({"".join(rng.choices(syllables, k=rng.randint(1, 4))) for _ in range(size)})
    rng.shuffle(words)
    cumulative, total = [], 0.0
    for rank in range(1, len(words) + 1):
        total += 1.0 / rank
        cumulative.append(total)
    return words, cumulative


class _Text:
    """Fast generator of word salad of a given length."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.words, self.weights = _vocabulary(rng)

    def __call__(self, chars: int) -> str:
        words = self.rng.choices(self.words, cum_weights=self.weights, k=max(1, chars // 6))
        return " ".join(words)[:chars]


def _message_rows(
    session_id: str, first_id: int, count: int, text: _Text, chars: int, start: float
) -> Iterator[tuple[Any, ...]]:
    """Rows for the messages table: alternating user/assistant, assistants with reasoning."""
    for seq in range(count):
        row_id = first_id + seq
        parent = row_id - 1 if seq else None
        user = seq % 2 == 0
        size = text.rng.randint(chars // 2, chars * 3 // 2)
        content = text(size // 4 if user else size // 2)
        thinking = "" if user else text(size // 2)
        stats = None if user else '{"eval_count":120,"eval_duration":2000000000}'
        yield (
            row_id,
            session_id,
            seq,
            0,
            parent,
            1,
            "user" if user else "assistant",
            content,
            thinking,
            None,
            None,
            None,
            None,
            None if user else "qwen3",
            stats,
            0,
            None,
            start + seq,
        )


_INSERT_SESSION = (
    "INSERT INTO sessions (id, title, auto_title, model, system, options, think, created_at, "
    "updated_at) VALUES (?, NULL, ?, 'qwen3', NULL, NULL, 'true', ?, ?)"
)
_INSERT_MESSAGE = (
    "INSERT INTO messages (id, session_id, seq, gen, parent_id, active, role, content, thinking, "
    "tool_calls, tool_name, tool_call_id, images, model, stats, interrupted, error, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def build(path: Path, sessions: int, per_session: int, chars: int) -> tuple[str, int]:
    """Create a database of `sessions` sessions; returns (one session id, bytes of text)."""
    SessionStore.open(path).close()  # the real schema, migrations included
    text = _Text(random.Random(SEED))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN IMMEDIATE")
    start = time.time() - sessions * 60
    total, next_id, last = 0, 1, ""
    for n in range(sessions):
        last = f"{int(start) + n:08x}{n % 0xFFFF:04x}"
        created = start + n * 60
        conn.execute(_INSERT_SESSION, (last, text(40), created, created + 30))
        rows = list(_message_rows(last, next_id, per_session, text, chars, created))
        total += sum(len(row[7]) + len(row[8]) for row in rows)
        conn.executemany(_INSERT_MESSAGE, rows)
        next_id += per_session
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return last, total


def _median(action: Callable[[], object], runs: int) -> float:
    action()  # warm-up: page cache and imports
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def _row(case: str, seconds: float, goal: float, detail: str) -> dict[str, Any]:
    return {
        "case": case,
        "median_s": round(seconds, 4),
        "goal_s": goal,
        "passed": seconds < goal,
        "detail": detail,
    }


def _resume(path: Path, session_id: str) -> int:
    with SessionStore.open(path) as store:
        record = store.get_session(session_id[:8])
        return len(store.load_messages(record.id))


def _list(path: Path) -> int:
    with SessionStore.open(path) as store:
        return len(store.list_sessions(limit=None))


Log = Callable[[str], None]


def _timed_build(path: Path, say: Log, sessions: int, per_session: int, chars: int) -> str:
    """`build` and log how long it took; returns one session id."""
    began = time.perf_counter()
    sid, size = build(path, sessions, per_session, chars)
    elapsed = time.perf_counter() - began
    say(f"built {sessions} x {per_session} messages, {size / 1e6:.1f} MB of text: {elapsed:.1f} s")
    return sid


def bench_resume(folder: Path, runs: int, say: Log) -> list[dict[str, Any]]:
    """Open, find and load a conversation of 10,000 messages (what --resume does)."""
    path = folder / "resume.db"
    sid = _timed_build(path, say, sessions=1, per_session=10_000, chars=600)
    count = _resume(path, sid)
    seconds = _median(functools.partial(_resume, path, sid), runs)
    return [_row("resume 10,000 messages (open+get+load)", seconds, 0.5, f"{count} messages")]


def bench_list(folder: Path, runs: int, say: Log) -> list[dict[str, Any]]:
    """List 10,000 sessions with their message counts, all of them and a first page."""
    path = folder / "list.db"
    _timed_build(path, say, sessions=10_000, per_session=4, chars=300)
    rows = [
        _row(
            "list 10,000 sessions (open+list all)",
            _median(functools.partial(_list, path), runs),
            0.2,
            "with message counts",
        )
    ]
    with SessionStore.open(path) as store:
        seconds = _median(store.list_sessions, runs)
    rows.append(_row("list newest 50 of 10,000 sessions", seconds, 0.2, "picker page"))
    return rows


def bench_search(folder: Path, runs: int, say: Log, megabytes: int) -> list[dict[str, Any]]:
    """Full-text search and the as-you-type picker filter over `megabytes` of history."""
    path = folder / "search.db"
    sessions = megabytes * 1_000_000 // (40 * 1250)  # a message averages 1,250 chars
    _timed_build(path, say, sessions=sessions, per_session=40, chars=2000)
    words = _Text(random.Random(SEED)).words  # same seed: words[0] is the most common one
    queries = [
        ("common word", words[0]),
        ("rare word", words[5000]),
        ("two words", f"{words[0]} {words[40]}"),
    ]
    rows = []
    with SessionStore.open(path) as store:
        for name, text in queries:
            hits = len(store.search(text))
            seconds = _median(functools.partial(store.search, text), runs)
            case = f"search {megabytes} MB: {name}"
            rows.append(_row(case, seconds, 0.5, f"{hits} hits shown"))
        prefix = words[200][:2]
        found = len(store.list_sessions(query=prefix))
        seconds = _median(functools.partial(store.list_sessions, query=prefix), runs)
        case = f"picker filter {megabytes} MB: '{prefix}'"
        rows.append(_row(case, seconds, 0.5, f"{found} sessions shown"))
    return rows


def run(quick: bool = False, runs: int = RUNS, log: Log | None = None) -> list[dict[str, Any]]:
    """Build the databases, measure every case, return one dict per table row.

    Each row: `case`, `median_s`, `goal_s`, `passed`, `detail`.
    """
    say: Log = log or (lambda _: None)
    with tempfile.TemporaryDirectory(prefix="termchat-bench-") as tmp:
        folder = Path(tmp)
        return [
            *bench_resume(folder, runs, say),
            *bench_list(folder, runs, say),
            *bench_search(folder, runs, say, 10 if quick else 100),
        ]


def print_table(rows: list[dict[str, Any]]) -> None:
    """Print rows as an aligned table."""
    width = max(len(row["case"]) for row in rows)
    print(f"{'case':<{width}}  {'median':>9}  {'goal':>6}  result  detail")
    for row in rows:
        verdict = "pass" if row["passed"] else "FAIL"
        print(
            f"{row['case']:<{width}}  {row['median_s'] * 1000:7.1f}ms  {row['goal_s']:5.2f}s  "
            f"{verdict:<6}  {row['detail']}"
        )


def main(argv: list[str] | None = None) -> int:
    """Command line entry: run, print the table, exit 1 if a goal was missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="search ~10 MB instead of ~100 MB")
    parser.add_argument("--runs", type=int, default=RUNS, help="timed runs per case")
    args = parser.parse_args(argv)
    rows = run(quick=args.quick, runs=args.runs, log=lambda line: print(line, file=sys.stderr))
    print_table(rows)
    return 0 if all(row["passed"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
