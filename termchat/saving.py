"""SavingSession: a conversation and its database — opened on first use, each message committed
as it comes, a reply saved as it streams — or the one sentence for why it is not saved.

ChatSession (termchat.session) builds the history edits, resume and the listings on it; what
is said there about the one owner of saving holds for the two together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from termchat.checkpoint import ReplyRow
from termchat.errors import StoreError
from termchat.messages import Message

if TYPE_CHECKING:
    from termchat.attachments import Attachment
    from termchat.conversation import Conversation
    from termchat.store import SessionStore
    from termchat.store.tail import Earlier

NOT_SAVING = "This conversation is not being saved"
"""The one sentence for "saving is off"; a reason may follow in parentheses."""

BRANCHED = (
    "Another termchat wrote to this conversation meanwhile; what you say now continues on a "
    "branch of its own (/alt shows the other)."
)

Why = Literal["--no-save", "incognito", "database failed"]


class SavingSession:
    """A conversation and its saving (what ChatSession builds on). The store is opened on
    first use (also to resume while not saving) and never created just to be read.

    Args:
        conversation: the history and settings.
        database: the session database file, or None when there is none to use.
        saving: False under --no-save.
        report: shows a problem to the user (one line), e.g. a database that failed.
    """

    def __init__(
        self,
        conversation: Conversation,
        database: Path | None,
        *,
        saving: bool = True,
        report: Callable[[str], None] = lambda text: None,
        kind: str = "chat",
    ) -> None:
        self.conversation = conversation
        self.kind = kind
        self.database = database
        self._report = report
        self._store: SessionStore | None = None
        self._broken = database is None
        self.why_not: Why | None = None if saving else "--no-save"
        if database is None and saving:
            self.why_not = "database failed"
        # Row id of each message in `conversation.messages` that is stored; the stored active
        # path is always a prefix of the conversation (what was said while not saving is not).
        self._rows: list[int] = []
        self._reply: ReplyRow | None = None  # the reply streaming now, saved as it streams
        self._reopened: int | None = None  # the stored row /continue streams on (reopen_reply)
        self._head: Earlier | None = None  # what a resumed conversation has not read yet

    # --- state ---------------------------------------------------------------------------

    @property
    def saving(self) -> bool:
        """True while each change is committed to the database."""
        return self.why_not is None

    @property
    def session_id(self) -> str | None:
        """The saved conversation's id (None until its first message is saved)."""
        return self.conversation.session_id

    def not_saving_text(self) -> str:
        """The sentence for "not saving", with its reason."""
        return f"{NOT_SAVING} ({self.why_not})." if self.why_not else ""

    def store(self) -> SessionStore | None:
        """The open database (opened now if needed), or None when it cannot be used."""
        if self._store is not None or self._broken or self.database is None:
            return self._store
        from termchat.store import SessionStore

        try:
            self._store = SessionStore.open(self.database)
        except StoreError as exc:
            self._failed(exc)
        return self._store

    def _existing_store(self) -> SessionStore | None:
        """The database for reading: never created when it does not exist yet."""
        if self._store is None and (self.database is None or not self.database.exists()):
            return None
        return self.store()

    def _failed(self, exc: StoreError) -> None:
        """Say the database failed, once, and go on unsaved."""
        was_saving = self.saving
        self._broken = True
        if self._store is not None:
            self._store.close()
            self._store = None
        if was_saving:
            self.why_not = "database failed"
        self._report(f"{exc}. {NOT_SAVING}; the chat goes on.")

    def _saved(self) -> tuple[SessionStore, str] | None:
        """The database and this conversation's id in it, while saving one it holds."""
        store = self.store() if self.saving else None
        if store is None or self.session_id is None:
            return None
        return store, self.session_id

    def close(self) -> None:
        """Close the database."""
        if self._store is not None:
            self._store.close()
            self._store = None

    # --- writing -------------------------------------------------------------------------

    def add(self, message: Message) -> Message:
        """Append a message to the history and, while saving, commit it."""
        self._read_earlier()
        self.conversation.add(message)
        if self.saving:
            self._write_unsaved()
        return message

    def add_user(
        self, text: str, images: list[str] | None = None, attachments: Sequence[Attachment] = ()
    ) -> Message:
        """Append the user's message (committed before it is sent)."""
        message = Message(role="user", content=text, images=list(images or []))
        message.attachments = list(attachments)
        return self.add(message)

    def checkpointer(self) -> Callable[[Message], None]:
        """A function that saves the reply about to stream, given what arrived so far: one row,
        marked interrupted and in progress, created by the first call and updated in place by
        the next ones (see `termchat.checkpoint`). It may be called from a worker thread; it
        does nothing when not saving. `finish` completes the row.
        """
        self._close_reply()
        reopened, self._reopened = self._reopened, None
        conv = self.conversation
        store = self._store if self.saving else None
        if store is None or conv.session_id is None or len(self._rows) != len(conv.messages):
            return lambda message: None  # nothing to follow: the reply is saved when it ends
        self._reply = ReplyRow(store, conv.session_id, self._rows[-1] if self._rows else None)
        self._reply.row = reopened  # a continued reply goes on in its own row
        return self._reply.save

    def reopen_reply(self) -> Message:
        """/continue: take the last message (a cut reply) out of the history to stream on. Its
        stored row is what the next `checkpointer` updates and `finish` completes, so the
        continued reply stays one message, in its place. Returns the message taken out."""
        self._read_earlier()
        conv = self.conversation
        stored = len(self._rows) == len(conv.messages)
        message = conv.messages.pop()
        self._reopened = self._rows.pop() if stored and self.saving else None
        return message

    def finish(self, message: Message) -> Message:
        """Append the reply that just ended and, while saving, commit it: completing the row its
        checkpoints wrote, if any (else as `add`)."""
        row, branched = self._close_reply()
        if row is None or not self.saving:
            return self.add(message)
        self.conversation.add(message)
        store = self.store()
        if store is None:
            return message
        try:
            store.update_message(row, message)
        except StoreError as exc:
            self._failed(exc)  # what the checkpoints saved stays, marked interrupted
            return message
        self._rows.append(row)
        if branched:
            self._report(BRANCHED)
        return message

    def abandon_reply(self) -> None:
        """The reply ended with nothing to keep: no more checkpoints. (A reply with nothing in
        it was never checkpointed, so no row is left behind.)"""
        self._close_reply()

    def _close_reply(self) -> tuple[int | None, bool]:
        """End the checkpoints of the current reply: (its row if one was saved, whether it
        started a branch)."""
        reply, self._reply = self._reply, None
        if reply is None:
            return None, False
        return reply.close(), reply.branched

    def _write_unsaved(self) -> None:
        """Commit every message of the conversation that is not stored yet, in order."""
        store = self.store()
        if store is None:
            return
        conv = self.conversation
        try:
            if conv.session_id is None:
                conv.session_id = self._create(store)
            while len(self._rows) < len(conv.messages):
                parent = self._rows[-1] if self._rows else None
                row, branched = store.append_after(
                    conv.session_id, parent, conv.messages[len(self._rows)]
                )
                self._rows.append(row)
                if branched:
                    self._report(BRANCHED)
        except StoreError as exc:
            self._failed(exc)

    def _create(self, store: SessionStore, title: str | None = None) -> str:
        """Start the saved conversation with its settings; returns its id.

        Raises:
            StoreError: the database failed.
        """
        conv = self.conversation
        return store.create_session(
            conv.model,
            system=conv.system,
            options=conv.options,
            think=conv.think,
            title=title,
            kind=self.kind,
            preset=conv.preset,
        ).id

    def change_settings(self, **fields: Any) -> None:
        """Commit changed settings (model, system, think, options) of a saved conversation."""
        saved = self._saved()
        if saved is None:
            return
        store, session_id = saved
        try:
            store.update_session(session_id, **fields)
        except StoreError as exc:
            self._failed(exc)

    def title(self) -> str | None:
        """The saved conversation's title, if it has one."""
        store = self._existing_store()
        if store is None or self.session_id is None:
            return None
        try:
            return store.get_session(self.session_id).title or None
        except StoreError:
            return None

    @property
    def saved(self) -> bool:
        """True when some of this conversation is in the database."""
        return self.session_id is not None and bool(self._rows)

    def describe(self) -> str:
        """What this conversation is saved as: title, id and how to come back to it."""
        if not self.saved:
            if not self.saving:
                return self.not_saving_text()
            return "Not saved yet: it is saved with its first message."
        title = self.title() or "untitled"
        note = "" if self.saving else f" {NOT_SAVING} from here on ({self.why_not})."
        return f"Saved as “{title}” ({self.session_id}) — termchat -r {self.session_id}.{note}"

    def set_title(self, text: str) -> None:
        """Name the conversation (saving it now if it had no message yet).

        Raises:
            StoreError: not saving, or the database failed.
        """
        if not self.saving:
            raise StoreError(f"{NOT_SAVING} ({self.why_not}), so it has no title.")
        store = self.store()
        if store is None:
            raise StoreError(self.not_saving_text())
        conv = self.conversation
        if conv.session_id is None:
            conv.session_id = self._create(store, title=text)
        else:
            store.rename(conv.session_id, text)

    def _read_earlier(self) -> None:
        """Read the rest of a resumed conversation before anything is sent (the request holds
        all of it); when it cannot be read, say so and go on from the messages shown."""
        messages, rows = self.conversation.messages, self._rows
        if not getattr(messages, "before", 0):  # not a resumed `Tail`, or read already
            return
        from termchat.store.tail import Tail

        try:
            for part in (messages, rows):
                if isinstance(part, Tail):
                    part.loaded()
        except StoreError as exc:
            for part in (messages, rows):
                if isinstance(part, Tail):
                    part.forget()
            self._report(f"{exc}. The conversation goes on from its last {len(messages)} messages.")
