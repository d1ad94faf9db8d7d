"""ChatSession: the conversation and where it is saved, or that it is not (the one owner).

Everything that changes the history or the settings of the chat goes through here: adding a
message, a setting, the title, /undo, /retry, /edit, /alt, /new, /incognito, resume. Each change
is kept in memory (the `Conversation`, which builds requests) and, while saving, committed to the
session database at once. The history is one tree of messages with one active path (see
`termchat.store`); the request sent to the model is always exactly that path.

Saving is off for one of three reasons — `--no-save`, `/incognito`, or a database that failed —
and is said in one sentence, `NOT_SAVING`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from termchat.attachments import Attachment
from termchat.checkpoint import ReplyRow
from termchat.conversation import Conversation
from termchat.cutreplies import parse_policy
from termchat.errors import StoreError
from termchat.messages import Message

if TYPE_CHECKING:
    from termchat.config import Config
    from termchat.store import (
        SearchHit,
        SessionRecord,
        SessionStore,
        SessionSummary,
        StoredMessage,
    )
    from termchat.store.tail import Earlier

NOT_SAVING = "This conversation is not being saved"
"""The one sentence for "saving is off"; a reason may follow in parentheses."""

BRANCHED = (
    "Another termchat wrote to this conversation meanwhile; what you say now continues on a "
    "branch of its own (/alt shows the other)."
)

Why = Literal["--no-save", "incognito", "database failed"]

RESUME_TAIL = 60
"""Messages read at once on resume (more than are shown again); the earlier ones are counted,
and read when something needs them: the first question sent, /thinking N, /edit…"""


@dataclass(frozen=True)
class Switched:
    """The result of /alt: which alternative is shown now, and the history from there on."""

    position: int
    count: int
    start: int
    messages: list[Message]


def session_for(
    config: Config, report: Callable[[str], None], *, interactive: bool = True
) -> ChatSession:
    """A new, empty conversation with the config's settings, saved unless `save` is off; a
    chat when `interactive`, else a one-shot (-p, a pipe)."""
    conversation = Conversation(
        model=config.model or "",
        system=config.system,
        options=dict(config.options),
        think=config.think,
        keep_alive=config.keep_alive,
        interrupted=parse_policy(config.interrupted),
        preset=config.preset,
    )
    return ChatSession(
        conversation,
        config.database,
        saving=config.save,
        report=report,
        kind="chat" if interactive else "oneshot",
    )


class ChatSession:
    """A conversation and its saving. The store is opened on first use (also to resume while
    not saving) and never created just to be read.

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

    # --- history edits -------------------------------------------------------------------

    def drop_from(self, index: int, *, undo: bool = False) -> None:
        """Keep the history before `index`; stored rows stay (inactive, as alternatives).

        Args:
            undo: the dropped part was undone: it does not come back with its branch (/alt).
        """
        conv = self.conversation
        del conv.messages[index:]
        if len(self._rows) <= index:
            return
        del self._rows[index:]
        saved = self._saved()
        if saved is None:
            return
        store, session_id = saved
        try:
            store.truncate(session_id, index, undo=undo)
        except StoreError as exc:
            self._failed(exc)

    def replace_history(self, messages: list[Message]) -> None:
        """Make `messages` the whole history (/compact); the stored messages it replaces stay
        in the database, inactive (an alternative of the first message)."""
        self._read_earlier()
        self.drop_from(0)
        for message in messages:
            self.add(message)

    def undo(self) -> Message | None:
        """Drop the last exchange (from the last user message on); returns that message."""
        index = self.conversation.last_user_index()
        if index is None:
            return None
        message = self.conversation.messages[index]
        self.drop_from(index, undo=True)
        return message

    def drop_unsent(self) -> Message | None:
        """Drop the user's last message when it never got a reply (its send failed); returns it.

        A new message replaces it rather than following it: two user messages in a row would
        send the failed one again without the user knowing.
        """
        conv = self.conversation
        if not conv.awaiting_reply():
            return None
        message = conv.messages[-1]
        self.drop_from(len(conv.messages) - 1, undo=True)
        return message

    def switch_alternative(self, to: int | None = None) -> Switched | None:
        """/alt: make the next alternative of the last reply (or the one at position `to`,
        from 1, oldest first) the active one.

        Returns None when the last reply has no other alternative (or it is not saved).
        """
        conv = self.conversation
        index = conv.last_user_index()
        saved = self._saved()
        if saved is None or index is None or len(self._rows) != len(conv.messages):
            return None
        store, session_id = saved
        try:
            alternatives = store.alternatives(session_id, index + 1)
            if len(alternatives) < 2:
                return None
            current = next((i for i, alt in enumerate(alternatives) if alt.active), -1)
            position = (current + 1) % len(alternatives) if to is None else to - 1
            if not 0 <= position < len(alternatives):
                return None
            store.activate(session_id, index + 1, alternatives[position].gen)
            rows = store.load_rows(session_id)
        except StoreError as exc:
            self._failed(exc)
            return None
        self._take(rows)
        return Switched(position + 1, len(alternatives), index + 1, conv.messages[index + 1 :])

    def alternative_position(self) -> int | None:
        """Where the last reply stands among its alternatives (from 1, oldest first); None
        when that is not known (not saved, or the database failed)."""
        index = self.conversation.last_user_index()
        saved = self._saved()
        if saved is None or index is None:
            return None
        store, session_id = saved
        try:
            alternatives = store.alternatives(session_id, index + 1)
        except StoreError as exc:
            self._failed(exc)
            return None
        return next((i + 1 for i, alt in enumerate(alternatives) if alt.active), None)

    def branch_rows(self) -> tuple[list[StoredMessage], set[int]]:
        """/tree: every stored row of this conversation and the ids of those /undo cut (none
        when it is not saved).

        Raises:
            StoreError: the database failed.
        """
        store = self._existing_store()
        if store is None or self.session_id is None:
            return [], set()
        rows = store.load_rows(self.session_id, include_inactive=True)
        return rows, store.cut_rows(self.session_id)

    def switch_branch(self, row_id: int) -> bool:
        """/tree N: make the branch that ends at stored row `row_id` the history, and so the
        next request. False when it cannot be (not saving, or the database failed)."""
        saved = self._saved()
        if saved is None:
            return False
        store, session_id = saved
        try:
            store.activate_path(session_id, row_id)
            rows = store.load_rows(session_id)
        except StoreError as exc:
            self._failed(exc)
            return False
        self._take(rows)
        return True

    def _take(self, rows: list[StoredMessage]) -> None:
        """Make the stored active path `rows` the history, all of it read."""
        self.conversation.messages = [row.message for row in rows]
        self._rows = [row.row_id for row in rows]
        self._head = None

    def alternatives_note(self) -> str:
        """Why /alt has nothing to switch to."""
        if not self.saving:
            return f"No alternatives: {NOT_SAVING.lower()} ({self.why_not})."
        return "This reply has no alternatives yet: /retry makes one."

    # --- whole conversations -------------------------------------------------------------

    def new(self) -> str:
        """Start a new conversation with the same settings; says what became of the old one."""
        conv = self.conversation
        had = bool(conv.messages)
        saved = conv.session_id is not None and bool(self._rows)
        complete = saved and len(self._rows) == len(conv.messages)
        conv.clear()
        conv.session_id = None
        self._rows = []
        if not had:
            before = ""
        elif complete:
            before = " The previous one stays saved."
        elif saved:
            before = " The previous one stays saved up to where saving stopped."
        else:
            before = " The previous one was not saved."
        after = "" if self.saving else f" {self.not_saving_text()}"
        return f"New conversation.{before}{after}"

    def stop_saving(self) -> str:
        """/incognito on: nothing more of this conversation is written."""
        if not self.saving:
            return f"{self.not_saving_text()} /incognito again saves it."
        self.why_not = "incognito"
        kept = f" What was saved before stays in {self.session_id}." if self._rows else ""
        return f"Incognito: nothing more is written.{kept} /incognito again saves it."

    def start_saving(self) -> str:
        """/incognito off (or saving asked for after --no-save): save the whole conversation.

        Raises:
            StoreError: the database cannot be used.
        """
        if self.saving:
            return "This conversation is being saved already."
        previous = self.why_not
        self.why_not = None
        self._broken = False
        store = self.store()
        if store is None:
            self.why_not = previous
            raise StoreError(f"Cannot save: the session database {self.database} is unusable.")
        if self._rows and self.session_id is not None:
            try:  # what was undone while not saving is undone in the database too
                store.truncate(self.session_id, len(self._rows))
            except StoreError as exc:
                self._failed(exc)
                return self.not_saving_text()
        self._write_unsaved()
        if not self.saving:
            return self.not_saving_text()
        if not self.conversation.messages:
            return "Saving is on: this conversation will be saved."
        return f"Saving is on: this conversation is saved as {self.session_id}."

    def latest(self) -> SessionRecord | None:
        """The conversation --continue opens: in a chat, the most recent chat (one-shots only
        when there is none); in a one-shot run, the most recent conversation of any kind."""
        store = self._existing_store()
        if store is None:
            return None
        return store.latest_session(chats_first=self.kind == "chat")

    def summaries(self, query: str | None = None, limit: int | None = None) -> list[SessionSummary]:
        """Saved conversations for a picker: chats newest first, then one-shots (none when
        there is no database)."""
        store = self._existing_store()
        if store is None:
            return []
        return store.list_sessions(limit=limit, query=query, chats_first=True)

    def search(self, text: str, limit: int = 50) -> list[SearchHit]:
        """Saved conversations with a message holding every word of `text`, the last one as a
        prefix (none when there is no database); see SessionStore.search."""
        store = self._existing_store()
        return [] if store is None else store.search(text, limit=limit, prefix=True)

    def load(self, id_or_prefix: str, *, keep: frozenset[str] = frozenset()) -> SessionRecord:
        """Open a saved conversation: its history and (unless given as flags in `keep`) its
        settings. Works while not saving; what is said next is saved only while saving.

        Raises:
            StoreError: unknown or ambiguous id, no database, or the database failed.
        """
        store = self._existing_store()
        if store is None:
            raise StoreError("There are no saved conversations yet.")
        record = store.get_session(id_or_prefix)
        store.settle_unfinished()  # a reply whose termchat died since this one opened the file
        rows, before = store.load_tail(record.id, RESUME_TAIL)
        conv = self.conversation
        if "model" not in keep and record.model and record.model != conv.model:
            conv.model = record.model
            conv.info = None
        if "system" not in keep:
            conv.system = record.system
        if "think" not in keep:
            conv.think = record.think
        if "options" not in keep and record.options is not None:
            conv.options = dict(record.options)
        conv.session_id = record.id
        if not before:
            self._take(rows)
            return record
        from termchat.store.tail import Earlier, Tail

        head = Earlier(self.store, record.id, rows[0].row_id, before)
        conv.messages = Tail([row.message for row in rows], before, head.messages)
        self._rows = Tail([row.row_id for row in rows], before, head.row_ids)
        self._head = head
        return record

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

    def replies_before(self, count: int) -> int:
        """How many assistant replies the first `count` messages hold; those of a resumed
        conversation not read yet are counted in the database (see `load`).

        Raises:
            StoreError: the database failed.
        """
        messages = self.conversation.messages
        before = getattr(messages, "before", 0)
        if self._head is None or not 0 < before <= count:
            return sum(1 for message in messages[:count] if message.role == "assistant")
        shown = messages[before:count]
        return self._head.replies() + sum(1 for message in shown if message.role == "assistant")
