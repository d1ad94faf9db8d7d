"""Several processes writing one session database at once lose nothing and hit no lock error."""

from __future__ import annotations

import multiprocessing
import traceback
from pathlib import Path
from typing import Any

from termchat.messages import Message
from termchat.store import SessionStore

WORKERS = 4
MESSAGES = 40


def _writer(path: str, shared: str, worker: int, start: Any, results: Any) -> None:
    """Open the store, wait for the others, then append to an own and the shared session."""
    try:
        with SessionStore.open(Path(path)) as store:
            own = store.create_session(f"worker-{worker}").id
            start.wait(timeout=60)
            for i in range(MESSAGES):
                store.append_message(own, Message("user", f"w{worker} own {i}"))
                store.append_message(shared, Message("user", f"w{worker} shared {i}"))
        results.put((worker, own, None))
    except BaseException:  # reported to the parent, which fails the test
        results.put((worker, None, traceback.format_exc()))


def _opener(path: str, start: Any, results: Any) -> None:
    """Open a database that does not exist yet, all at the same moment, and write once."""
    try:
        start.wait(timeout=60)
        with SessionStore.open(Path(path)) as store:
            store.create_session("first-open")
        results.put(None)
    except BaseException:
        results.put(traceback.format_exc())


def test_store_concurrent_processes_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    with SessionStore.open(path) as store:
        shared = store.create_session("shared").id
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Barrier(WORKERS), ctx.Queue()
    procs = [
        ctx.Process(target=_writer, args=(str(path), shared, n, start, results))
        for n in range(WORKERS)
    ]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
    assert [error for _, _, error in outcomes if error] == []
    assert all(proc.exitcode == 0 for proc in procs)

    with SessionStore.open(path) as store:
        for worker, own, _ in outcomes:
            expected = [f"w{worker} own {i}" for i in range(MESSAGES)]
            assert [m.content for m in store.load_messages(own)] == expected
        rows = store.load_rows(shared)
        assert [row.seq for row in rows] == list(range(WORKERS * MESSAGES))
        for worker in range(WORKERS):
            mine = [r.message.content for r in rows if r.message.content.startswith(f"w{worker} ")]
            assert mine == [f"w{worker} shared {i}" for i in range(MESSAGES)]
        assert len(store.list_sessions(limit=None)) == WORKERS + 1


def test_store_concurrent_first_open_migrates_once(tmp_path: Path) -> None:
    path = tmp_path / "new" / "sessions.db"
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Barrier(WORKERS), ctx.Queue()
    procs = [ctx.Process(target=_opener, args=(str(path), start, results)) for _ in range(WORKERS)]
    for proc in procs:
        proc.start()
    errors = [results.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
    assert [e for e in errors if e] == []
    with SessionStore.open(path) as store:
        assert len(store.list_sessions()) == WORKERS
