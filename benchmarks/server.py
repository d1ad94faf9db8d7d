"""Starts the fake Ollama server (tests/fakeserver.py) as its own process, and stops it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent
FAKESERVER = ROOT / "tests" / "fakeserver.py"


class FakeServerProcess:
    """`python tests/fakeserver.py` in a separate process (it must not share our GIL).

    Every default reply to a prompt that starts with "long" is `long_markdown(long_tokens)`;
    other prompts get the short echo reply. Use it as a context manager.

    Args:
        tps: Tokens per second (0: as fast as possible).
        long_tokens: Size of the long answer.
    """

    def __init__(self, *, tps: float = 0.0, long_tokens: int = 1200) -> None:
        self.tps = tps
        self.long_tokens = long_tokens
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> FakeServerProcess:
        argv = [sys.executable, str(FAKESERVER), "--port", "0", "--long-tokens"]
        argv += [str(self.long_tokens), "--pull-delay", "0"]
        if self.tps:
            argv += ["--tps", str(self.tps)]
        self._process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True
        )
        assert self._process.stdout is not None
        self.url = self._process.stdout.readline().strip()
        if not self.url.startswith("http://"):
            self.__exit__(None, None, None)
            raise RuntimeError(f"the fake server did not start: {self.url!r}")
        return self

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
