"""A model download on screen (/pull): a progress bar per layer, then one line per finished step."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console, RenderableType
from rich.filesize import decimal
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.text import Text

from termchat.render.parts import one_line

REFRESH_SECONDS = 0.1  # a server reports progress far more often than this


class _LayerColumn(ProgressColumn):
    """A column shown for layers (tasks with a size) and left blank for the other steps."""

    def __init__(self, inner: ProgressColumn) -> None:
        super().__init__()
        self.inner = inner

    def render(self, task: Task) -> RenderableType:
        return self.inner.render(task) if task.total is not None else Text("")


@dataclass
class _Layer:
    name: str
    task: TaskID
    total: int
    started: float
    completed: int = 0
    done: bool = False


class PullDisplay:
    """Draws a /pull as it happens.

    Each layer gets a bar with the bytes so far, the speed and the time left; a step without a
    size (`pulling manifest`, `verifying sha256 digest`, `writing manifest`) gets a moving bar
    while it runs. When a layer or step is over it leaves one line in the scrollback, e.g.
    `pulled 1a2b3c4d5e6f · 4.7 GB · 12.3 s · 380 MB/s`; the bars themselves vanish.

    Args:
        console: Where the bars are drawn.
        print_line: Prints a finished line (above the bars, through the renderer).
        clock: Monotonic seconds (tests pass a fake one).
    """

    def __init__(
        self,
        console: Console,
        print_line: Callable[[Text], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._print = print_line
        self._clock = clock
        self._progress = Progress(
            TextColumn("{task.description}", style="termchat.notice", markup=False),
            BarColumn(),
            _LayerColumn(DownloadColumn()),
            _LayerColumn(TransferSpeedColumn()),
            _LayerColumn(TimeRemainingColumn()),
            console=console,
            transient=True,
            auto_refresh=False,
            get_time=clock,
        )
        self._layers: dict[str, _Layer] = {}
        self._step: tuple[str, TaskID] | None = None
        self._drawn = 0.0
        self._started = False

    def step(
        self,
        status: str,
        *,
        digest: str | None = None,
        total: int | None = None,
        completed: int | None = None,
    ) -> None:
        """One status line of the download (as Ollama's /api/pull sends them)."""
        if not self._started:
            self._progress.start()
            self._started = True
        status = one_line(status)
        if digest and total:
            self._end_step()
            self._layer(status, digest, total, completed or 0)
        elif self._step is None or self._step[0] != status:
            self._end_step()
            if status != "success":
                self._step = (status, self._progress.add_task(status, total=None))
            self._draw(force=True)

    def close(self) -> None:
        """Stop drawing: the current step ends; an unfinished layer says how far it got."""
        self._end_step()
        for layer in self._layers.values():
            if not layer.done:
                so_far = f"{decimal(layer.completed)} of {decimal(layer.total)}"
                self._print(Text(f"{layer.name} · stopped at {so_far}", style="termchat.warning"))
        if self._started:
            self._progress.stop()
            self._started = False

    def _layer(self, status: str, digest: str, total: int, completed: int) -> None:
        layer = self._layers.get(digest)
        if layer is None:
            task = self._progress.add_task(status, total=total)
            layer = self._layers[digest] = _Layer(status, task, total, self._clock())
        if layer.done:
            return
        layer.completed = min(completed, total)
        self._progress.update(layer.task, completed=layer.completed, total=total)
        if completed < total:
            self._draw(force=False)
            return
        layer.done = True
        self._progress.remove_task(layer.task)
        seconds = max(0.0, self._clock() - layer.started)
        name = layer.name.replace("pulling", "pulled", 1)
        parts = [name, decimal(total), f"{seconds:.1f} s"]
        if seconds > 0:
            parts.append(f"{decimal(int(total / seconds))}/s")
        self._print(Text(" · ".join(parts), style="termchat.notice"))
        self._draw(force=True)

    def _end_step(self) -> None:
        if self._step is not None:
            status, task = self._step
            self._progress.remove_task(task)
            self._print(Text(status, style="termchat.notice"))
            self._step = None

    def _draw(self, *, force: bool) -> None:
        now = self._clock()
        if force or now - self._drawn >= REFRESH_SECONDS:
            self._progress.refresh()
            self._drawn = now
