"""What a chat is drawn on and asks through: the Screen, LiveView and Frontend protocols.

They live here, apart from the app, so that display code (render/, repl/) can name them without
importing the app. `PlainFrontend` is the frontend of runs without a prompt (-p, pipes, --json).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from termchat.messages import Message, Stats, ToolCall
from termchat.tools.policy import ApprovalAnswer

if TYPE_CHECKING:
    from termchat.accumulator import Reply
    from termchat.session import ChatSession
    from termchat.store import SearchHit
    from termchat.themes import Theme


class LiveView(Protocol):
    """What a turn draws into: the rich LiveReply, or plain/JSON output for pipes."""

    def update(self, reply: Reply) -> None: ...
    def refresh(self) -> None: ...
    def set_show_thinking(self, show: bool) -> None: ...
    def set_waiting(self, seconds: float | None) -> None: ...  # silent this long (None: not)
    def finish(
        self, reply: Reply, *, interrupted: bool = False, error: str | None = None
    ) -> None: ...
    def stop(self) -> None: ...


class PullView(Protocol):
    """What a model download (/pull) draws into: render.pull.PullDisplay."""

    def step(
        self,
        status: str,
        *,
        digest: str | None = None,
        total: int | None = None,
        completed: int | None = None,
    ) -> None: ...
    def close(self) -> None: ...


class Screen(Protocol):
    """What the app and the commands draw with: render.Renderer (or, without a prompt,
    render.plain.OneLineMessages in front of it)."""

    def notice(self, text: str) -> None: ...
    def warning(self, text: str) -> None: ...
    def error(self, text: str) -> None: ...
    def table(
        self,
        title: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[object]],
        *,
        whole: Sequence[str] = (),
    ) -> None: ...
    def markdown(self, text: str) -> None: ...
    def thinking_full(self, text: str) -> None: ...
    def stats_table(self, model: str | None, stats: Stats | None) -> None: ...
    def tool_call(self, name: str, arguments: dict[str, Any]) -> None: ...
    def tool_result(self, message: Message) -> None: ...
    def interrupted_marker(self) -> None: ...
    def user_message(self, text: str, model: str | None = None) -> None: ...
    def assistant_message(
        self, message: Message, *, show_thinking: bool, number: int | None = None
    ) -> None: ...
    def live_reply(
        self, model: str, *, show_thinking: bool, number: int | None = None
    ) -> LiveView: ...
    def pull_progress(self) -> PullView: ...
    def send_clipboard(self, text: str, *, passthrough: bool = False) -> bool: ...
    def set_theme(self, theme: Theme) -> None: ...
    @property
    def theme(self) -> Theme: ...
    def search_match(self, label: str, snippet: str, start: str, end: str) -> None: ...


class Frontend(Protocol):
    """What the user's side provides a chat: the REPL (repl.frontend.ReplFrontend), or
    PlainFrontend when there is no one to ask.

    Each dialog takes the keyboard for itself (the REPL pauses its streaming key reader), so
    no caller has to remember to.
    """

    async def approve(self, call: ToolCall, *, offer_always: bool) -> ApprovalAnswer | None:
        """Ask whether the call may run; None when the user stopped the turn (Ctrl-C)."""
        ...

    async def confirm_more(self, rounds: int) -> bool:
        """At the chain limit: go on with more rounds of tool calls?"""
        ...

    async def edit(self, text: str) -> str | None:
        """The text edited by the user (/edit); None when cancelled or impossible."""
        ...

    async def choose(
        self, question: str, choices: Sequence[tuple[str, str]], *, unattended: str
    ) -> str | None:
        """One of `choices` (key letter, what it does) picked by the user; None when the user
        declined (Enter, Ctrl-C). `unattended` is the key taken when no one can be asked."""
        ...

    async def pick_session(self, session: ChatSession) -> str | None:
        """A saved conversation's id picked by the user (/resume); None when cancelled."""
        ...

    async def pick_option(self, question: str, options: Sequence[str]) -> int | None:
        """One of a few `options` picked by the user (its index; /compare); None when
        cancelled."""
        ...

    async def pick_hit(self, session: ChatSession, words: str) -> SearchHit | None:
        """A search hit picked by the user (/search WORDS); None when none or cancelled."""
        ...

    def changed(self) -> None:
        """The chat's state changed (model, thinking, saving): redraw what shows it."""
        ...

    async def confirm_pull(self, model: str) -> bool:
        """`Pull NAME now? [Y/n]` for a model the server does not have."""
        ...


class PlainFrontend:
    """No one to ask: calls that need approval are refused unless `--yes` was given, the chain
    limit stops the turn, and there is no editor or picker."""

    def __init__(self, *, assume_yes: bool = False) -> None:
        self.assume_yes = assume_yes

    async def approve(self, call: ToolCall, *, offer_always: bool) -> ApprovalAnswer | None:
        """Run once with --yes; otherwise refuse, saying why."""
        if self.assume_yes:
            return ApprovalAnswer("once")
        return ApprovalAnswer("deny", reason="there is no terminal to ask the user (see --yes)")

    async def confirm_more(self, rounds: int) -> bool:
        """Never: a run without a prompt stops at the chain limit."""
        return False

    async def edit(self, text: str) -> str | None:
        """No editor without a terminal."""
        return None

    async def choose(
        self, question: str, choices: Sequence[tuple[str, str]], *, unattended: str
    ) -> str | None:
        """No one to ask: the unattended choice."""
        return unattended

    async def pick_session(self, session: ChatSession) -> str | None:
        """No picker without a terminal."""
        return None

    async def pick_option(self, question: str, options: Sequence[str]) -> int | None:
        """No one to ask: nothing is picked."""
        return None

    async def pick_hit(self, session: ChatSession, words: str) -> SearchHit | None:
        """No picker without a terminal."""
        return None

    def changed(self) -> None:
        """Nothing on screen shows the state."""

    async def confirm_pull(self, model: str) -> bool:
        """Never: a run without a prompt says `termchat pull NAME` instead."""
        return False
