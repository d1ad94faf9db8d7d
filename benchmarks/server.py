"""Starts the stand-in server (standin.py) as its own process, asks what it stamped, stops it."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from types import TracebackType

STANDIN = Path(__file__).resolve().parent / "standin.py"


def prompt(shape: str, tokens: int, tps: float, wait: float = 0.0) -> str:
    """The question that makes the stand-in stream `shape` (see standin.py)."""
    text = f"shape={shape} tokens={tokens} tps={tps:g}"
    return f"{text} wait={wait:g}" if wait else text


class StandIn:
    """`python benchmarks/standin.py` in a separate process; use it as a context manager.

    Attributes:
        url: Its base URL, once started.
    """

    def __init__(self) -> None:
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> StandIn:
        self._process = subprocess.Popen(
            [sys.executable, str(STANDIN)],
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        assert self._process.stdout is not None
        self.url = self._process.stdout.readline().strip()
        if not self.url.startswith("http://"):
            self.__exit__(None, None, None)
            raise RuntimeError(f"the stand-in server did not start: {self.url!r}")
        return self

    def stamps(self) -> list[tuple[float, int, int]]:
        """(time, thinking chars, answer chars) of each piece of the last finished stream."""
        with urllib.request.urlopen(f"{self.url}/_stamps", timeout=10) as answer:
            return [(float(t), int(a), int(b)) for t, a, b in json.load(answer)]

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
