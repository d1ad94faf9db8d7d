"""The context window guard: sizes each request before it is sent, asks when it will not fit,
and says after a reply when the server dropped part of the conversation."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Protocol

from termchat import contextwin
from termchat.compaction import KEEP_TURNS, Chat, compact
from termchat.contextwin import Measure, Window
from termchat.errors import BackendError
from termchat.messages import Message

if TYPE_CHECKING:
    from termchat.backends.base import ChatRequest


class GuardedChat(Chat, Protocol):
    """What the guard uses of a chat (termchat.app.ChatApp, which it does not import)."""

    interactive: bool


REASONING_WORTH = 0.1  # old reasoning is offered to drop when it is this share of a request
PS_WORTH_ASKING = 2048
"""A request smaller than this fits any window a server loads by default: no /api/ps call."""


class ContextGuard:
    """The context figures of one chat and the guard around each request.

    Attributes:
        drop_reasoning: Requests leave out the reasoning of earlier turns (chosen at the
            guard's question or with /context).
        last: The measurement of the last request that got a reply (None: not measured).
    """

    def __init__(self, app: GuardedChat) -> None:
        self.app = app
        self.drop_reasoning = False
        self.last: Measure | None = None
        self.estimated: int | None = None  # our estimate while the history changed unmeasured
        self._loaded: dict[str, int | None] = {}  # model → context /api/ps gave
        self._told = False  # the dropped-history warning was given, and nothing changed since

    # --- figures ---------------------------------------------------------------------------

    def window(self) -> Window | None:
        """The window requests are made against now (see `contextwin.choose_window`)."""
        conv = self.app.conversation
        return contextwin.choose_window(
            conv.options.get("num_ctx"), self._loaded.get(conv.model), self._model_max()
        )

    def _model_max(self) -> int | None:
        """The model's own maximum context (`/api/show`), when known."""
        info = self.app.conversation.info
        return info.context_length if info is not None else None

    def used(self) -> tuple[int, bool] | None:
        """Tokens of the window in use: the last request and its reply as the server counted
        them (False), or our estimate after the history changed (True); None when unknown."""
        if self.estimated is not None and self.app.conversation.messages:
            return self.estimated, True
        found = contextwin.last_counts(self.app.conversation.messages, within=50)
        return None if found is None else (found[1] + found[2], False)

    def toolbar(self) -> tuple[str, str] | None:
        """The toolbar's (level, text): `ctx 1.2k/4.1k 30%`, or None when nothing is known."""
        window = self.window()
        used = self.used()
        text = contextwin.usage_text(used[0] if used else None, window)
        if text is None:
            return None
        if used is not None and used[1]:
            text = text.replace("ctx ", "ctx ~", 1)
        return contextwin.level(used[0] if used else 0, window), text

    def describe(self) -> list[tuple[str, str]]:
        """Rows for /info and /context: the window and where it comes from, what is in use."""
        window = self.window()
        rows: list[tuple[str, str]] = []
        if window is not None:
            rows.append(
                ("context window", f"{window.size:,} ({contextwin.SOURCE_TEXT[window.source]})")
            )
        used = self.used()
        if used is not None:
            share = f" ({round(100 * used[0] / window.size)}%)" if window else ""
            rows.append(("context used", f"{'~' if used[1] else ''}{used[0]:,}{share}"))
        if self.drop_reasoning:
            rows.append(("earlier reasoning", "left out of requests"))
        return rows

    def ollama(self) -> bool:
        """Whether the server is Ollama (its native API): it takes `num_ctx` and reads the
        reasoning sent back; an OpenAI-compatible server does neither."""
        return getattr(self.app.backend, "loaded_context", None) is not None

    def size(self, messages: list[Message]) -> int:
        """Our estimate of a request made of `messages` (see `contextwin.estimate`)."""
        counted = contextwin.request_tokens(messages, reasoning=self.ollama())
        return contextwin.estimate(counted, self.last)

    def changed(self, *, model: bool = False) -> None:
        """The history or the window changed (/compact, /set num_ctx, another model): a
        warning may be given again, and the loaded context is asked again. Another `model`
        counts differently: the last measurement no longer corrects our counts."""
        if model:
            self.last = None
        self._told = False
        self.estimated = None
        self._loaded.clear()

    # --- before sending ----------------------------------------------------------------------

    async def before_send(self, request: ChatRequest) -> ChatRequest | None:
        """The request to send, after asking when it will not fit; None when the user chose
        not to send it now."""
        if self.last is None:  # a resumed conversation: its last reply was measured
            self.last = contextwin.from_history(request.messages)
        if self.drop_reasoning:
            request.messages = contextwin.without_old_reasoning(request.messages)
        while True:
            needed = self.size(request.messages)
            window = self.window()
            if needed >= PS_WORTH_ASKING and window is not None and window.source == "model":
                await self._ask_loaded()
                window = self.window()
            if window is None or needed <= window.size * contextwin.FULL_AT:
                return request
            choice = await self._ask(request.messages, needed, window)
            if choice == "s":
                return request
            if choice is None:
                return None
            changed = await self._apply(choice, request, needed)
            if changed is None:
                return None
            request = changed

    async def _ask(self, messages: list[Message], needed: int, window: Window) -> str | None:
        app = self.app
        conv = app.conversation
        choices: list[tuple[str, str]] = []
        bigger = contextwin.suggested_num_ctx(needed, window, self._model_max())
        if bigger is not None and self.ollama():
            choices.append(("n", f"/set num_ctx {bigger}"))
        old = contextwin.old_reasoning_tokens(messages)
        if old >= needed * REASONING_WORTH and not self.drop_reasoning and self.ollama():
            choices.append(("r", f"drop old reasoning (~{contextwin.short_count(old)})"))
        if contextwin.compact_point(conv.messages, 1) is not None:
            choices.append(("c", "/compact"))
        choices.append(("s", "send anyway"))
        tail = (
            "the server would silently drop the oldest part of the conversation."
            if needed > window.size
            else "there is no room left for the reply, and the server makes room by silently "
            "dropping the oldest part of the conversation."
        )
        app.renderer.warning(
            f"This request is about {needed:,} tokens; the context window is {window.size:,} "
            f"({contextwin.SOURCE_TEXT[window.source]}). Sent as it is, {tail}"
        )
        answer = await app.frontend.choose("It will not fit:", choices, unattended="s")
        if answer == "s" and not app.interactive:
            app.renderer.warning("Sent anyway (there is no one to ask).")
        return answer

    async def _apply(self, choice: str, request: ChatRequest, needed: int) -> ChatRequest | None:
        app = self.app
        conv = app.conversation
        if choice == "n":
            size = contextwin.suggested_num_ctx(needed, self.window(), self._model_max())
            if size is not None:
                conv.options["num_ctx"] = size
                app.session.change_settings(options=dict(conv.options))
                request.options["num_ctx"] = size
                app.renderer.notice(f"num_ctx = {size} (the model is loaded again with it).")
                self.changed()
            return request
        if choice == "r":
            self.drop_reasoning = True
            request.messages = contextwin.without_old_reasoning(request.messages)
            app.renderer.notice("Earlier reasoning is left out of requests from now on.")
            return request
        if not await self.compact(keep=1):  # all but the question waiting to be sent
            return None
        return conv.request(request.tools)

    async def compact(self, keep: int = KEEP_TURNS) -> bool:
        """/compact: the turns before the last `keep` summarised (see `compaction.compact`);
        False when nothing changed."""
        kept = await compact(self.app, keep)
        if kept is None:
            return False
        self.changed()
        self.estimated = self.size([*self.app.conversation.system_head(), *kept])
        self.app.frontend.changed()
        return True

    async def refresh(self) -> None:
        """Ask the server now what context the model is loaded with (/info, /context)."""
        self._loaded.pop(self.app.conversation.model, None)
        await self._ask_loaded()

    async def _ask_loaded(self) -> None:
        """Ask the server (Ollama's /api/ps) what context the model is loaded with."""
        model = self.app.conversation.model
        lookup = getattr(self.app.backend, "loaded_context", None)
        if lookup is None or model in self._loaded:
            return
        with contextlib.suppress(BackendError):
            self._loaded[model] = await lookup(model)

    # --- after a reply -----------------------------------------------------------------------

    async def after_reply(
        self, sent: list[Message], reply: Message | None, error: str | None
    ) -> None:
        """Say what a reply shows of the window: history dropped, an empty reply or an error
        that means it did not fit, a reply cut at the length limit."""
        app = self.app
        if reply is None or reply.error is not None:
            if contextwin.is_context_error(error or (reply.error if reply else None)):
                what = "The server refused the request" if reply is None else "The reply failed"
                app.renderer.warning(self._too_long(what))
            return
        stats = reply.stats
        empty = not (reply.content or reply.thinking or reply.tool_calls)
        if empty and not reply.interrupted:
            app.renderer.warning(self._too_long("The model sent back an empty reply"))
        if stats is not None:
            self.estimated = None
            measured = contextwin.measure(
                stats.prompt_eval_count, stats.eval_count, sent, self.last, reasoning=self.ollama()
            )
            if measured is not None:
                previous, self.last = self.last, measured
                if measured.dropped and not self._told:
                    self._told = True
                    # What was sent, as `size` would have estimated it before this reply.
                    size = contextwin.estimate(measured.counted, previous)
                    app.renderer.warning(self._dropped(measured.prompt, size))
                elif not measured.dropped:
                    self._told = False
            if stats.done_reason == "length" and app.interactive:
                app.renderer.notice("Cut off at the length limit: /continue asks for the rest.")
        if app.interactive:
            await self._refresh_loaded()

    def _dropped(self, prompt: int, size: int) -> str:
        window = self.window()
        where = (
            f" The window is {window.size:,} tokens ({contextwin.SOURCE_TEXT[window.source]})."
            if window
            else ""
        )
        return (
            f"The server read only {prompt:,} tokens of this conversation (about {size:,} were "
            f"sent) and silently dropped the rest: the model did not see the oldest messages."
            f"{where} " + self._offers()
        )

    def _too_long(self, what: str) -> str:
        window = self.window()
        size = f" ({window.size:,} tokens)" if window else ""
        return (
            f"{what}: the conversation is probably longer than the model's context{size}. "
            + self._offers()
        )

    def _offers(self) -> str:
        if not self.ollama():
            return (
                "Start the server with a larger context (llama.cpp: -c N), or /compact to "
                "summarise the oldest turns."
            )
        return (
            "Raise it with /set num_ctx N, leave old reasoning out with /context drop-reasoning, "
            "or /compact to summarise the oldest turns."
        )

    async def _refresh_loaded(self) -> None:
        """After a reply the model is loaded: ask with what context, for the toolbar (once per
        model and window setting)."""
        if self._loaded.get(self.app.conversation.model) is None:
            await self.refresh()
            self.app.frontend.changed()
