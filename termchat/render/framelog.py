"""The optional frame log (TERMCHAT_FRAME_LOG=path): when each frame was drawn and what it showed.

For the benchmark (benchmarks/run.py) and for anyone chasing a slow frame. When the variable is
unset nothing is opened and a frame pays for one `is None` test. When set, every frame a live
reply draws (every tick of the frame timer, and the final one) appends one JSON line to the file
when the reply ends:

    {"start": 12.3456, "end": 12.3471, "cpu": 0.0012, "shown": 1834, "bytes": 2210}

`start` and `end` are `time.monotonic()` seconds (the system-wide monotonic clock on Linux, so
another process can compare them with its own) taken when the frame began and after its bytes
were written and flushed to the terminal; `cpu` is the CPU time the frame took (its wall time
less any time the process was not running); `shown` is how many characters of the answer the
frame's output covers (everything up to there is in the scrollback or the live region);
`bytes` is how many characters the frame wrote (0: nothing had changed).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

ENV = "TERMCHAT_FRAME_LOG"


class FrameLog:
    """Keeps one entry per frame; `close` appends them to the file as JSON lines.

    Args:
        path: The file to append to.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._closed = False
        self._frames: list[tuple[float, float, float, int, int]] = []
        self._cpu = 0.0

    @classmethod
    def from_env(cls) -> FrameLog | None:
        """The log named by TERMCHAT_FRAME_LOG, or None when it is unset."""
        path = os.environ.get(ENV)
        return cls(Path(path)) if path else None

    def now(self) -> float:
        """The start of a frame: the clock the log uses (the frame's CPU clock starts too)."""
        self._cpu = time.thread_time()
        return time.monotonic()

    def record(self, start: float, shown: int, written: int) -> None:
        """Note a frame that began at `start` (from `now`) and has just been written."""
        cpu = time.thread_time() - self._cpu
        self._frames.append((start, time.monotonic(), cpu, shown, written))

    def close(self) -> None:
        """Append the entries to the file (silently skipped if it cannot be written). Idempotent."""
        if self._closed:
            return
        self._closed = True
        keys = ("start", "end", "cpu", "shown", "bytes")
        lines = [json.dumps(dict(zip(keys, frame, strict=True))) + "\n" for frame in self._frames]
        self._frames.clear()
        try:
            with self.path.open("a", encoding="utf-8") as file:
                file.writelines(lines)
        except OSError:
            pass  # a debugging aid must never break a chat
