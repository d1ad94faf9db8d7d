"""ChatApp: one turn top to bottom, tool calls included, and the state commands act on.

Conversation, backend, screen, store and toolbox meet here and nowhere else. What the user's
side provides (approval, the editor, the picker, redraws) comes in as one Frontend: the REPL's,
or a plain one for runs without a prompt. Everything is passed at construction.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from termchat.accumulator import Reply
from termchat.attachments import Attachment
from termchat.backends.base import Backend, ModelInfo
from termchat.checkpoint import Checkpoints
from termchat.config import Config, format_think
from termchat.contextguard import ContextGuard
from termchat.conversation import Conversation
from termchat.errors import (
    CapabilityError,
    ConnectError,
    ModelNotFound,
    ServerError,
    TermchatError,
)
from termchat.frontend import Frontend, LiveView, Screen
from termchat.messages import Message, Stats, ToolCall
from termchat.modelinfo import ModelLookup
from termchat.presets import Preset, read_presets
from termchat.profiles import shown_host
from termchat.streaming import stream_reply

if TYPE_CHECKING:
    from termchat.continuation import Continuation
    from termchat.session import ChatSession
    from termchat.tools.toolbox import Toolbox

T = TypeVar("T")
CALLS_PER_REPLY = 20  # tool calls of one reply run without asking; the rest are asked (or refused)


class ChatApp:
    """One chat session: settings, history, saving, and the turn loop.

    Args:
        frontend: The user's side: asks about tool calls, edits, picks, redraws.
        tools: The session's toolbox; None when no tools are set up.
        live_factory: Draws a streaming reply (pipes, --json); default: the screen's own.
        interactive: A person is at a prompt (hints such as "/retry sends it again" make sense).
    """

    def __init__(
        self,
        config: Config,
        backend: Backend,
        renderer: Screen,
        session: ChatSession,
        *,
        frontend: Frontend,
        tools: Toolbox | None = None,
        live_factory: Callable[[str, bool], LiveView] | None = None,
        interactive: bool = True,
    ) -> None:
        self.config = config
        self.backend = backend
        self.renderer = renderer
        self.session = session
        self.frontend = frontend
        self.tools = tools
        self.interactive = interactive
        self.show_thinking = config.show_thinking
        self._live_factory = live_factory
        self._live: LiveView | None = None
        self._busy: asyncio.Future[Any] | None = None
        self._tools_notice_for: str | None = None
        self._lookup = ModelLookup(backend, self.conversation, frontend.changed)
        self.models_cache: list[str] = []
        self.prefill_refused: set[str] = set()  # hosts that /continue has to ask (continuation)
        self.preset: Preset | None = None
        """The preset applied (--preset, /preset): its `prompt` shapes the first message."""
        if config.preset is not None:
            self.preset = read_presets(config.presets).get(config.preset)
        self.pending: list[Attachment] = []
        """Files attached by /image and /file, sent with the next message."""
        self.context = ContextGuard(self)

    # --- model info ------------------------------------------------------------------------

    def start_model_info(self) -> None:
        """Fetch the model's capabilities in the background (the prompt does not wait)."""
        self._lookup.start()

    def use_server(self, config: Config, backend: Backend) -> Backend:
        """/profile: the next replies come from `backend` (set up by `config`); the
        conversation goes on. Returns the previous backend, for the caller to close."""
        previous, self.backend, self.config = self.backend, backend, config
        self._lookup = ModelLookup(backend, self.conversation, self.frontend.changed)
        self.conversation.info = None  # the capabilities are the new server's to say
        return previous

    def set_model(self, name: str, info: ModelInfo | None) -> None:
        """Switch to another model (its info, if known, fetched by the caller)."""
        self._lookup.switch(name, info)
        self.context.changed(model=True)
        self.frontend.changed()

    async def model_info(self) -> ModelInfo | None:
        """The current model's info, waiting for the background fetch if needed.

        Raises:
            ModelNotFound: the model is not on the server.
            ConnectError: the server cannot be reached.
        """
        return await self._lookup.get()

    # --- display state ---------------------------------------------------------------------

    def toggle_thinking(self) -> None:
        """Ctrl-T: show or hide reasoning, for the reply streaming now and the next ones."""
        self.show_thinking = not self.show_thinking
        if self._live is not None:
            self._live.set_show_thinking(self.show_thinking)
        self.frontend.changed()

    def interrupt(self) -> bool:
        """Ctrl-C: cancel what runs now (a streaming reply — closing its HTTP response — or a
        tool). Returns False when nothing was running."""
        if self._busy is not None and not self._busy.done():
            self._busy.cancel()
            return True
        return False

    async def cancellable(self, coro: Awaitable[T]) -> T | None:
        """Run `coro` so that Ctrl-C (interrupt) cancels it; None when the user did.

        If this task itself is cancelled (SIGTERM), the cancellation propagates.
        """
        task = asyncio.ensure_future(coro)
        self._busy = task
        try:
            return await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise
            return None
        finally:
            self._busy = None

    def status(self) -> tuple[str | None, str]:
        """What the toolbar says of the model: a problem reaching it ("server unreachable",
        "model not found") or None, and the thinking state ("thinking: on, shown"; just
        "thinking: n/a" for a model that cannot think). The model's name is not repeated."""
        conv = self.conversation
        if conv.info is not None and not conv.info.thinks:
            return self._lookup.problem, "thinking: n/a"
        shown = "shown" if self.show_thinking else "hidden"
        return self._lookup.problem, f"thinking: {format_think(conv.think)}, {shown}"

    @property
    def conversation(self) -> Conversation:
        """The history and settings (owned by the session)."""
        return self.session.conversation

    # --- a turn ----------------------------------------------------------------------------

    async def send(self, text: str, attachments: Sequence[Attachment] = ()) -> None:
        """Add the user's message with its attachments (saved before sending) and run the
        turn. The attachments are checked by the caller (see `termchat.commands.attach`)."""
        if not self.conversation.model:
            self.renderer.error("No model chosen. Use /model NAME (or /models to list them).")
            return
        self.close_dangling_calls("the conversation went on before it ran")
        unsent = self.session.drop_unsent()
        if unsent is not None:
            self.renderer.notice(
                "The message that was not sent is dropped; this one replaces it "
                "(Up arrow brings the old one back)."
            )
        if self.preset is not None and not self.conversation.messages:
            text = self.preset.fill(text)  # `{{input}}`: what was typed or piped goes there
        self.session.add_user(text, attachments=attachments)
        await self.run_turn()

    async def run_turn(self, continuation: Continuation | None = None) -> None:
        """One turn: request → stream → keep → decide → ask → run → show → add → again, until
        a reply needs no tools (or something fails, or the user stops it). With
        `continuation` (/continue), the first reply streams on from a cut reply.

        Every tool call left without a result when the turn ends (interrupted, failed, no tools)
        gets a "not run" result, so the history stays one the server accepts.
        """
        try:
            await self.model_info()
        except (ModelNotFound, ConnectError) as exc:
            from termchat.pulling import offer_pull, offers_pull

            # Not on the server: the REPL asks to pull it, then the message goes.
            missing = exc.model if isinstance(exc, ModelNotFound) and offers_pull(self) else None
            if missing is None:
                self.renderer.error(str(exc))
            if missing is None or not await offer_pull(self, missing):
                self._kept_hint()
                return
        rounds = 0
        try:
            while True:
                reply = await self._one_reply(continuation)  # request → stream → keep
                continuation = None
                if reply is None or not reply.tool_calls or reply.interrupted:
                    return
                tools = self.tools
                if tools is None:
                    self.renderer.warning("The model asked for tools, but no tools are enabled.")
                    return
                for index, call in enumerate(reply.tool_calls):
                    if index == CALLS_PER_REPLY and not self._past_call_cap(len(reply.tool_calls)):
                        break  # the rest got "not run"; the model hears of it
                    ask = index >= CALLS_PER_REPLY
                    answer = await self._answer(tools, call, ask=ask)  # decide → ask → run
                    self.renderer.tool_result(answer)  # show
                    self.session.add(answer)  # add (and save)
                    for problem in tools.lost_servers():
                        self.renderer.warning(problem)
                    if answer.interrupted:  # the rest of the calls get "not run" below
                        return
                rounds += 1
                if not await self._again(tools, rounds):
                    return
        finally:
            self.close_dangling_calls("the turn ended before it ran")

    def _past_call_cap(self, count: int) -> bool:
        """At the first call past CALLS_PER_REPLY: go on, asking for each (REPL), or refuse
        the rest with "not run" results (no one to ask)."""
        said = f"The model asked for {count} tool calls in one reply"
        if not self.interactive:
            self.renderer.warning(
                f"{said}; the first {CALLS_PER_REPLY} ran, the other "
                f"{count - CALLS_PER_REPLY} were not run."
            )
            self.close_dangling_calls(f"more than {CALLS_PER_REPLY} tool calls in one reply")
            return False
        self.renderer.warning(
            f"{said}; each one past the first {CALLS_PER_REPLY} is asked (Ctrl-C stops the rest)."
        )
        return True

    async def _answer(self, tools: Toolbox, call: ToolCall, *, ask: bool = False) -> Message:
        """Decide, ask and run one tool call: the role=tool message that answers it.

        `ask`: ask the user even when the tool's policy would run it at once.
        """
        self.renderer.tool_call(call.name, call.arguments)
        decision = tools.decide(call)
        if decision == "deny":
            return tools.refusal(call).to_message()
        to_run = call
        if decision == "ask" or ask:
            offer_always = tools.offers_always(call) and not ask
            answer = await self.frontend.approve(call, offer_always=offer_always)
            if answer is None:
                return _interrupted(call)
            tools.remember(call, answer)
            if not answer.approved:
                return tools.denial(call, answer).to_message()
            to_run = answer.call_to_run(call)
            if to_run.arguments != call.arguments:
                self.renderer.tool_call(to_run.name, to_run.arguments)
        result = await self.cancellable(tools.run(to_run, edited_from=call))
        return _interrupted(call) if result is None else result.to_message()

    async def _again(self, tools: Toolbox, rounds: int) -> bool:
        """Ask the model again? Past each chain limit, only when the user says so."""
        if not tools.chain_limit_reached(rounds) or await self.frontend.confirm_more(rounds):
            return True
        self.renderer.warning(
            f"Stopped after {rounds} rounds of tool calls (the chain limit). "
            "Send a message to go on."
        )
        return False

    def close_dangling_calls(self, why: str) -> None:
        """Answer every tool call of the last reply that has no result yet with "not run"."""
        for call in self.conversation.unanswered_calls():
            message = Message(
                role="tool",
                content=f"Error: the tool was not run ({why}).",
                tool_name=call.name,
                tool_call_id=call.id,
                error="not run",
            )
            self.session.add(message)

    def _kept_hint(self) -> None:
        if self.interactive and self.conversation.awaiting_reply():
            self.renderer.notice(
                "Your message was not sent: /retry sends it again; a new message replaces it."
            )

    async def _one_reply(self, plan: Continuation | None = None) -> Message | None:
        """Stream one reply (or the rest of the cut one `plan` continues); add it to the
        history and the store. None when nothing came."""
        conv = self.conversation
        tools = self.tool_schemas()
        unsupported = conv.info is not None and not conv.info.uses_tools
        if tools and unsupported and self._tools_notice_for != conv.model:
            self._tools_notice_for = conv.model
            self.renderer.notice(f"{conv.model} does not support tools; none are offered.")
        if plan is None:
            guarded = await self.context.before_send(conv.request(tools))
            if guarded is None:
                self._kept_hint()
                return None
            request, reply = guarded, Reply(model=conv.model)
        else:
            request, reply = plan.request, plan.seeded(conv.model)
            self.session.reopen_reply()  # it streams on in its own place (and row)
        start = (reply.content_length, reply.thinking_length)
        checkpoints = Checkpoints(self.session.checkpointer())
        live = self._new_live()
        error: str | None = None
        retried: set[str] = set()
        try:
            while True:
                try:
                    events = self.backend.chat(request)
                    if plan is not None:
                        events = plan.joined(events)
                    if (
                        await stream_reply(events, reply, live, checkpoints, self.cancellable)
                        is None
                    ):
                        reply.interrupt()
                    break
                except CapabilityError as exc:
                    grew = (reply.content_length, reply.thinking_length) != start
                    if exc.capability in retried or grew:
                        raise
                    retried.add(exc.capability)
                    if exc.capability == "thinking":
                        request.think = None
                        what = "thinking"
                    else:
                        request.tools = None
                        what = "tools"
                    self.renderer.notice(
                        f"{conv.model} does not support {what}; asked again without it."
                    )
                except ServerError as exc:
                    if plan is None or not plan.fall_back(exc):
                        raise
                    request = plan.request
                    self.renderer.notice(
                        f"{self.backend.host} does not take continue_final_message; asked the "
                        "model to continue instead (and will for the rest of this session)."
                    )
        except (asyncio.CancelledError, OSError):
            # This task is being cancelled (SIGTERM/SIGHUP), or drawing failed because the
            # output went away (a pipe's reader closed, the terminal was closed): keep the
            # partial reply whatever the output does, then go.
            reply.interrupt()
            with contextlib.suppress(OSError):
                self._end_and_keep(live, reply)
            raise
        except TermchatError as exc:
            error = str(exc)
        if error is not None and reply.content_length == 0 and reply.thinking_length == 0:
            # Nothing arrived (unreachable, 404, 4xx/5xx): there is no reply to keep.
            self.session.abandon_reply()
            live.stop()
            self._live = None
            self.renderer.error(error)
            await self.context.after_reply(request.messages, None, error)
            self._kept_hint()
            return None
        if error is not None and reply.error is None:
            reply.error = error
        kept = self._end_and_keep(live, reply)
        if kept is not None:
            await self.context.after_reply(request.messages, kept, None)
        if kept is None:
            self._kept_hint()
        elif reply.error is not None and self.interactive:
            self.renderer.notice("The reply was cut short: /continue goes on, /retry starts over.")
        return kept

    def _end_and_keep(self, live: LiveView, reply: Reply) -> Message | None:
        """End the live view, then keep the reply. It is kept even when drawing fails (the
        terminal or the pipe went away): saving never depends on the output."""
        if self.config.profile is not None:  # each reply says which server gave it
            host = shown_host(self.backend.host)
            reply.stats = replace(reply.stats or Stats(), profile=self.config.profile, host=host)
        try:
            self._end_live(live, reply)
        finally:
            kept = self.keep(reply)
        return kept

    def _end_live(self, live: LiveView, reply: Reply) -> None:
        try:
            live.finish(reply, interrupted=reply.interrupted, error=reply.error)
        finally:
            live.stop()
            self._live = None

    def keep(self, reply: Reply) -> Message | None:
        """Add the reply to the history as ONE assistant message, and save it (completing the
        row its checkpoints saved while it streamed).

        A reply cut short before anything arrived is not kept (the question waits for /retry).
        """
        empty = not (reply.content_length or reply.thinking_length or reply.tool_calls)
        if empty and not reply.done:
            self.session.abandon_reply()
            return None
        return self.session.finish(reply.to_message())

    def _new_live(self) -> LiveView:
        if self._live_factory is not None:
            live = self._live_factory(self.conversation.model, self.show_thinking)
        else:
            live = self.renderer.live_reply(
                self.conversation.model,
                show_thinking=self.show_thinking,
                number=len(self.conversation.replies()) + 1,
            )
        self._live = live
        return live

    def tool_schemas(self) -> list[dict[str, Any]] | None:
        """Tool definitions to offer the model, if any tools are enabled."""
        return self.tools.schemas() if self.tools is not None else None


def _interrupted(call: ToolCall) -> Message:
    """The result of a call the user stopped (at its approval or while it ran)."""
    return Message(
        role="tool",
        content="Error: the user interrupted the tool call.",
        tool_name=call.name,
        tool_call_id=call.id,
        interrupted=True,
    )
