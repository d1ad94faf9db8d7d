"""The REPL's side of a chat (termchat.frontend.Frontend): dialogs, streaming keys, redraws."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from prompt_toolkit.application.current import get_app_or_none, get_app_session
from prompt_toolkit.input import Input
from prompt_toolkit.input.typeahead import get_typeahead
from prompt_toolkit.key_binding.key_processor import KeyPress
from prompt_toolkit.output import Output

from termchat.messages import ToolCall
from termchat.repl.dialogs import STYLE, ReplApprover, edit_in_editor
from termchat.repl.output import safe_output
from termchat.repl.picker import pick_session
from termchat.tools.policy import ApprovalAnswer

if TYPE_CHECKING:
    from termchat.session import ChatSession
    from termchat.store import SearchHit

KeyHandler = Callable[[KeyPress], None]


class KeyReader:
    """Reads keys in raw mode while a reply streams, so Ctrl-T and Ctrl-C act at once."""

    def __init__(self, inp: Input) -> None:
        self.input = inp
        self._on_key: KeyHandler | None = None
        self._stack: contextlib.ExitStack | None = None

    def _ready(self) -> None:
        for press in self.input.read_keys():
            if self._on_key is not None:
                self._on_key(press)

    def attach(self, on_key: KeyHandler) -> None:
        """Start reading keys, each given to `on_key` (idempotent).

        Keys the prompt (or a dialog) read but left unused — typed after its Enter, in the same
        burst — come first, so that every key reaches `on_key` in the order it was typed.
        """
        self._on_key = on_key
        if self._stack is not None:
            return
        for press in get_typeahead(self.input):
            on_key(press)
        stack = contextlib.ExitStack()
        stack.enter_context(self.input.raw_mode())
        stack.enter_context(self.input.attach(self._ready))
        self._stack = stack

    def detach(self) -> None:
        """Stop reading keys and restore the terminal (idempotent)."""
        stack, self._stack = self._stack, None
        if stack is not None:
            stack.close()

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Detach for a nested prompt (a dialog), then attach again if it was attached."""
        was_attached = self._stack is not None
        self.detach()
        try:
            yield
        finally:
            if was_attached and self._on_key is not None:
                self.attach(self._on_key)


class ReplFrontend:
    """Asks the person at the terminal. Built before the ChatApp (which it does not know);
    the Repl then reads keys through `keys` while a turn runs.

    Every dialog pauses the streaming key reader first: both would read the same terminal.
    Everything prompt_toolkit draws for the REPL goes through `output`, each prompt, dialog and
    printed line naming it (a test checks that none forgets).

    Args:
        inp: The terminal input (default: prompt_toolkit's, the one the prompt uses).
        output: The terminal output (default: prompt_toolkit's, made a `SafeOutput`).
    """

    def __init__(self, inp: Input | None = None, output: Output | None = None) -> None:
        self.input = inp or get_app_session().input
        self.output = output or safe_output()
        self.keys = KeyReader(self.input)
        self._approver = ReplApprover(self.input, self.output)

    async def approve(self, call: ToolCall, *, offer_always: bool) -> ApprovalAnswer | None:
        """y / a / n / e for one call; None on Ctrl-C."""
        with self.keys.paused():
            return await self._approver.approve(call, offer_always=offer_always)

    async def confirm_more(self, rounds: int) -> bool:
        """At the chain limit: go on?"""
        with self.keys.paused():
            return await self._approver.confirm_more(rounds)

    async def choose(
        self, question: str, choices: Sequence[tuple[str, str]], *, unattended: str
    ) -> str | None:
        """One key of `choices`; Enter or Ctrl-C declines (None)."""
        with self.keys.paused():
            return await self._approver.choose(question, choices)

    async def edit(self, text: str) -> str | None:
        """`text` in $EDITOR, as saved; None when the editor failed (the caller decides what an
        unchanged or empty text means)."""
        with self.keys.paused():
            return await edit_in_editor(text)

    async def pick_session(self, session: ChatSession) -> str | None:
        """The conversation picker (the open conversation left out); None, said on screen,
        when there is nothing to pick or the user cancelled."""
        with self.keys.paused():
            current = session.conversation.session_id
            return await pick_session(
                session.summaries,
                exclude=current,
                style=STYLE,
                inp=self.input,
                output=self.output,
            )

    async def pick_hit(self, session: ChatSession, words: str) -> SearchHit | None:
        """The search picker over the saved conversations; None, said on screen, when nothing
        matches or the user cancelled."""
        from termchat.repl.hits import pick_hit
        from termchat.store import MARK_END, MARK_START

        with self.keys.paused():
            return await pick_hit(
                session.search,
                words,
                start=MARK_START,
                end=MARK_END,
                style=STYLE,
                inp=self.input,
                output=self.output,
            )

    async def confirm_pull(self, model: str) -> bool:
        """`Pull NAME now? [Y/n]`: Enter or y pulls; n, Ctrl-C or Ctrl-D does not."""
        with self.keys.paused():
            return await self._approver.confirm_pull(model)

    async def pick_option(self, question: str, options: Sequence[str]) -> int | None:
        """One key, 1 to 9, picks an option; None on Ctrl-C."""
        with self.keys.paused():
            return await self._approver.pick_option(question, options)

    def changed(self) -> None:
        """Redraw the prompt on screen (its toolbar shows the model and thinking state)."""
        app = get_app_or_none()
        if app is not None and app.is_running:
            app.invalidate()
