"""A reply saved while it streams: one row, written at most once a second off the event loop.

A reply used to be written only when it ended, so `kill -9` (or a crash, or power loss) in the
middle lost all of it. Now the session saves what has arrived so far in one row, created on the
first checkpoint and updated in place after, marked interrupted and in progress (see
`termchat.store`); the end of the reply completes the row. A crash loses at most the last
CHECKPOINT_SECONDS of text, and the row is settled as interrupted when the database is next
opened.

The writes run in a worker thread (sqlite3 lets go of the GIL while it writes and syncs), so a
slow disk never holds up a frame. `ReplyRow` keeps them in order: its lock makes the final write
wait for one in flight, and once the reply is finished a late checkpoint does nothing.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Final

from termchat.errors import StoreError
from termchat.messages import Message

if TYPE_CHECKING:
    from termchat.accumulator import Reply
    from termchat.store import SessionStore

CHECKPOINT_SECONDS: Final = 1.0
"""At most this long between two saves of a reply that keeps changing."""


class ReplyRow:
    """The stored row of the reply streaming now. Thread-safe.

    Args:
        store: the open database.
        session_id: the conversation.
        parent: the row the reply answers (the last stored message).
    """

    def __init__(self, store: SessionStore, session_id: str, parent: int | None) -> None:
        self._store = store
        self._session_id = session_id
        self._parent = parent
        self._lock = threading.Lock()
        self._closed = False
        self.row: int | None = None
        self.branched = False
        self.error: StoreError | None = None

    def save(self, message: Message) -> None:
        """Write `message` (the reply so far) as the in-progress row: insert, then update.

        After a failure it stops trying (the final write says what went wrong, if it fails too).
        """
        with self._lock:
            if self._closed or self.error is not None:
                return
            try:
                if self.row is None:
                    self.row, self.branched = self._store.append_after(
                        self._session_id, self._parent, message, in_progress=True
                    )
                else:
                    self._store.update_message(self.row, message, in_progress=True)
            except StoreError as exc:
                self.error = exc

    def close(self) -> int | None:
        """No more checkpoints (one in flight is waited for); returns the row, if one was saved."""
        with self._lock:
            self._closed = True
            return self.row


class Checkpoints:
    """Decides, on each frame, whether to save the streaming reply now, and starts the save in a
    worker thread: when something changed, at most every CHECKPOINT_SECONDS, one at a time.

    Args:
        save: writes a message (in a worker thread); `ChatSession.checkpointer()` gives it.
    """

    def __init__(self, save: Callable[[Message], None]) -> None:
        self._save = save
        self._due = 0.0  # the first text is saved at once
        self._saved: tuple[int, int, int] = (0, 0, 0)
        self._running: asyncio.Future[None] | None = None

    def tick(self, reply: Reply, now: float) -> None:
        """Start a save of `reply` if one is due (`now`: the monotonic clock). Never blocks."""
        if now < self._due or (self._running is not None and not self._running.done()):
            return
        size = (reply.content_length, reply.thinking_length, len(reply.tool_calls))
        if size == self._saved or not any(size):
            return
        self._saved = size
        self._due = now + CHECKPOINT_SECONDS
        message = replace(reply.to_message(), interrupted=True)
        self._running = asyncio.get_running_loop().run_in_executor(None, self._save, message)
