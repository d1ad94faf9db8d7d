"""Dialogs the REPL opens: tool approval, the session picker, the external editor."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from prompt_toolkit import PromptSession, print_formatted_text
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.keys import Keys
from prompt_toolkit.styles import Style

from termchat.errors import TermchatError
from termchat.messages import ToolCall
from termchat.tools.policy import ApprovalAnswer

if TYPE_CHECKING:
    from termchat.store import SessionSummary

STYLE = Style.from_dict(
    {
        "prompt": "bold ansicyan",
        "bottom-toolbar": "noreverse bg:#303030 #d0d0d0",
        "bottom-toolbar.model": "bold #ffffff",
        "bottom-toolbar.key": "bold ansicyan",
    }
)


class ReplApprover:
    """Asks about each tool call with single keys: y once, a always, n no, e edit (Enter: no)."""

    async def _key(self, message: str, allowed: str) -> str | None:
        kb = KeyBindings()
        for letter in allowed:

            @kb.add(letter)
            @kb.add(letter.upper())
            def _pick(event: KeyPressEvent, letter: str = letter) -> None:
                event.app.exit(result=letter)

        @kb.add(Keys.Enter)
        def _default(event: KeyPressEvent) -> None:
            event.app.exit(result="n")

        @kb.add(Keys.ControlC)
        @kb.add(Keys.ControlD)
        def _cancel(event: KeyPressEvent) -> None:
            event.app.exit(result="")

        @kb.add(Keys.Any)
        def _ignore(event: KeyPressEvent) -> None:
            pass

        session: PromptSession[str] = PromptSession(key_bindings=kb, style=STYLE)
        answer = await session.prompt_async(FormattedText([("class:prompt", message)]))
        return answer or None

    async def approve(self, call: ToolCall, *, offer_always: bool) -> ApprovalAnswer | None:
        """Ask once; None when the user pressed Ctrl-C (stop the chain).

        Args:
            offer_always: Offer [a] always (not for tools that ask before every call).
        """
        if offer_always:
            message = f"Run {call.name}? [y] yes  [a] always  [n] no  [e] edit  (Enter: no) "
            letter = await self._key(message, "yane")
        else:
            message = f"Run {call.name}? [y] yes  [n] no  [e] edit  (Enter: no) "
            letter = await self._key(message, "yne")
        if letter is None:
            return None
        if letter == "n":
            try:
                reason = await PromptSession[str]().prompt_async(
                    "Reason for the model (optional, Enter to skip): "
                )
            except KeyboardInterrupt:
                return None
            except EOFError:
                reason = ""
            return ApprovalAnswer("deny", reason=reason.strip())
        if letter == "e":
            edited = await self._edit(call.arguments)
            if edited is None:
                return None
            return ApprovalAnswer("edit", arguments=edited)
        return ApprovalAnswer("always" if letter == "a" else "once")

    async def _edit(self, arguments: dict[str, Any]) -> dict[str, Any] | None:
        text = json.dumps(arguments, ensure_ascii=False)
        while True:
            try:
                text = await PromptSession[str]().prompt_async("Arguments (JSON): ", default=text)
            except (KeyboardInterrupt, EOFError):
                return None
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                print_formatted_text(f"Not valid JSON: {exc.msg} at column {exc.colno}. Try again.")
                continue
            if not isinstance(value, dict):
                print_formatted_text("The arguments must be a JSON object {...}. Try again.")
                continue
            return value

    async def confirm_more(self, rounds: int) -> bool:
        """At the chain limit: go on with more tool rounds?"""
        letter = await self._key(f"{rounds} rounds of tool calls. Continue? [y/n] ", "yn")
        return letter == "y"


Finder = Callable[[str | None, int], "list[SessionSummary]"]
"""Saved conversations matching a query (None: all), newest first, at most N."""


class SessionCompleter(Completer):
    """Recent conversations whose title or content matches what is typed."""

    def __init__(self, find: Finder) -> None:
        self.find = find

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        query = document.text_before_cursor.strip()
        try:
            rows = self.find(query or None, 30)
        except TermchatError:
            return
        for row in rows:
            meta = f"{row.model} · {row.messages} msgs"
            yield Completion(
                row.id,
                start_position=-len(document.text_before_cursor),
                display=f"{row.id}  {sanitize_line(row.title)[:60]}",
                display_meta=meta,
            )


def sanitize_line(text: str) -> str:
    """One line of untrusted text for a menu: no control characters, no line breaks."""
    return "".join(ch if ch.isprintable() else " " for ch in text)


async def pick_session(find: Finder, exists: Callable[[str], bool]) -> str | None:
    """A picker that filters saved conversations as you type; None when cancelled."""
    session: PromptSession[str] = PromptSession(
        completer=SessionCompleter(find), complete_while_typing=True, style=STYLE
    )

    def open_menu() -> None:
        buffer = session.app.current_buffer
        buffer.start_completion(select_first=False)

    try:
        text = await session.prompt_async(
            FormattedText([("class:prompt", "Resume (type to filter, Enter to open): ")]),
            pre_run=open_menu,
        )
    except (KeyboardInterrupt, EOFError):
        return None
    text = text.strip()
    if not text:
        return None
    if exists(text):
        return text
    rows = find(text, 1)
    return rows[0].id if rows else text


async def edit_in_editor(text: str) -> str | None:
    """Open $EDITOR (or $VISUAL, vi) on `text`; the saved text, or None if it failed."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False, encoding="utf-8") as f:
        f.write(text)
        path = f.name
    try:
        code = await asyncio.to_thread(subprocess.call, [*shlex.split(editor), path])
        if code != 0:
            return None
        with open(path, encoding="utf-8") as f:
            return f.read().rstrip("\n")
    except OSError:
        return None
    finally:
        os.unlink(path)
