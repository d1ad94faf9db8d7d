"""ChatSession: the conversation and where it is saved, or that it is not (the one owner).

Everything that changes the history or the settings of the chat goes through here: adding a
message, a setting, the title, /undo, /retry, /edit, /alt, /new, /incognito, resume. Each change
is kept in memory (the `Conversation`, which builds requests) and, while saving, committed to the
session database at once (the committing itself is `termchat.saving`). The history is one tree
of messages with one active path (see `termchat.store`); the request sent to the model is always
exactly that path.

Saving is off for one of three reasons — `--no-save`, `/incognito`, or a database that failed —
and is said in one sentence, `NOT_SAVING`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from termchat.conversation import Conversation
from termchat.cutreplies import parse_policy
from termchat.errors import StoreError
from termchat.messages import Message
from termchat.saving import NOT_SAVING, SavingSession

if TYPE_CHECKING:
    from termchat.config import Config
    from termchat.store import (
        SearchHit,
        SessionRecord,
        SessionSummary,
        StoredMessage,
    )

__all__ = ["NOT_SAVING", "RESUME_TAIL", "ChatSession", "Switched", "session_for"]

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


class ChatSession(SavingSession):
    """A conversation and its saving (see SavingSession for its arguments), with the edits of
    its history, resume, and the saved conversations around it."""

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
