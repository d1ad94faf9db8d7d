"""One streamed reply fed into the accumulator while the frame clock draws and checkpoints it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import TypeVar

from termchat.accumulator import Reply
from termchat.cadence import FRAME_SECONDS, next_frame
from termchat.checkpoint import Checkpoints
from termchat.frontend import LiveView
from termchat.messages import Event

T = TypeVar("T")

SILENCE_SHOWN = 2.0  # seconds without a byte of the stream before the live view says it waits


async def stream_reply(
    events: AsyncGenerator[Event, None],
    reply: Reply,
    live: LiveView,
    checkpoints: Checkpoints,
    cancellable: Callable[[Awaitable[bool]], Awaitable[bool | None]],
) -> bool | None:
    """Feed `events` into `reply` while a timer draws frames and, after a frame, saves the reply
    so far when a checkpoint is due (in a worker thread: a frame never waits).

    Returns None when the user interrupted (through `cancellable`); the generator is closed in
    any case, which closes the HTTP response, so the server stops generating. A stream silent
    for SILENCE_SHOWN seconds after it started is shown as waiting (`LiveView.set_waiting`).
    """
    heard: float | None = None  # when the last event arrived

    async def pump() -> bool:
        nonlocal heard
        reply.mark(time.monotonic())
        try:
            async for event in events:
                reply.feed(event)
                live.update(reply)
                heard = time.monotonic()
                reply.mark(heard)
        finally:
            await events.aclose()
        return True

    async def frames() -> None:
        # On the shared frame clock (termchat.cadence), just after the network reads.
        due = next_frame(time.monotonic())
        while True:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            silence = None if heard is None else time.monotonic() - heard
            live.set_waiting(silence if silence and silence >= SILENCE_SHOWN else None)
            live.refresh()
            checkpoints.tick(reply, time.monotonic())
            due = next_frame(max(time.monotonic(), due + FRAME_SECONDS / 2))

    timer = asyncio.create_task(frames())
    try:
        return await cancellable(pump())
    finally:
        timer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await timer
