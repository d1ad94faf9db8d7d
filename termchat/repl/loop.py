"""The interactive prompt loop: prompt, keys (search, editor, paste) and type-ahead."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from prompt_toolkit import PromptSession, print_formatted_text, search
from prompt_toolkit.application import Application, run_in_terminal
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.completion import CompleteEvent, Completer, Completion, merge_completers
from prompt_toolkit.document import Document
from prompt_toolkit.filters import is_searching
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.history import FileHistory, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.key_binding.key_processor import KeyPress
from prompt_toolkit.keys import Keys

from termchat.app import ChatApp
from termchat.commands import COMMANDS, Exit, is_command, run_command, unescape_message
from termchat.errors import ModelNotFound, TermchatError
from termchat.keymap import short_label
from termchat.outgoing import send_message
from termchat.render.sanitize import name_text
from termchat.repl.dialogs import run_editor
from termchat.repl.frontend import ReplFrontend
from termchat.repl.keys import KeyMap
from termchat.repl.paste import Pastes, normalize
from termchat.repl.paths import PathCompleter
from termchat.repl.style import themed_style
from termchat.repl.toolbar import prompt_label, toolbar

FENCE = '"""'


class SlashCompleter(Completer):
    """Completes command names, and model names after /model."""

    def __init__(self, app: ChatApp) -> None:
        self.app = app

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        text = document.text_before_cursor
        if not text.startswith("/") or "\n" in text:
            return
        if " " not in text:
            for name in COMMANDS.names():
                if name.startswith(text):
                    yield Completion(name, start_position=-len(text))
            return
        head, _, word = text.partition(" ")
        command = COMMANDS.find(head[1:])
        if " " in word or command is None:
            return
        for choice in command.choices(self.app):
            if choice.startswith(word):
                # A server's model name: shown sanitized, invisible characters visible.
                yield Completion(choice, start_position=-len(word), display=name_text(choice))


def strip_fence(text: str) -> str:
    """A message typed as a \"\"\" block is sent without the fences."""
    stripped = text.strip()
    if stripped.startswith(FENCE):
        stripped = stripped[len(FENCE) :]
        if stripped.endswith(FENCE):
            stripped = stripped[: -len(FENCE)]
        return stripped.strip("\n")
    return text


def open_fence(text: str) -> bool:
    """True while a \"\"\" block is still open (Enter adds a line instead of sending)."""
    stripped = text.strip()
    if not stripped.startswith(FENCE):
        return False
    return len(stripped) < 2 * len(FENCE) or not stripped.endswith(FENCE)


class PrivateHistory(FileHistory):
    """The prompt's line history: a file only its owner can read, written only while saving
    (nothing under --no-save or /incognito — not even an empty file)."""

    def __init__(self, path: Path, saving: Callable[[], bool]) -> None:
        self._path = path
        self._saving = saving
        if saving():
            self._create()
        super().__init__(str(path))

    def _create(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self._path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
        os.close(fd)
        os.chmod(self._path, 0o600)

    def store_string(self, string: str) -> None:
        """Append to the file only while the conversation is being saved."""
        if self._saving():
            if not self._path.exists():
                self._create()
            super().store_string(string)


class Repl:
    """The prompt loop around a ChatApp built with `frontend` (whose keys it reads while a
    turn runs)."""

    def __init__(self, app: ChatApp, frontend: ReplFrontend, history_file: Path | None) -> None:
        self.app = app
        self.frontend = frontend
        self.style = themed_style(lambda: app.renderer.theme)
        self.keymap = KeyMap(app.config.keys, app.config.edit_mode)
        self.stream_keys = self.keymap.stream_keys()
        history: Any = InMemoryHistory()
        if history_file is not None:
            try:
                history = PrivateHistory(history_file, lambda: self.app.session.saving)
            except OSError as exc:
                app.renderer.warning(f"Cannot use the history file {history_file}: {exc}")
        self.session: PromptSession[str] = PromptSession(
            input=frontend.input,
            output=frontend.output,
            history=history,
            completer=merge_completers([SlashCompleter(app), PathCompleter()]),
            complete_while_typing=False,
            key_bindings=self._bindings(),
            editing_mode=self.keymap.editing_mode,
            bottom_toolbar=self._toolbar,
            enable_open_in_editor=False,  # our own Ctrl-X Ctrl-E: it never sends by itself
            multiline=True,
            style=self.style,
            prompt_continuation=lambda width, line, wrap: "." * max(width - 1, 0) + " ",
        )
        self.typeahead = ""
        self.pastes = Pastes()
        self._task: asyncio.Future[None] | None = None
        self._ask_pull = False

    # --- prompt --------------------------------------------------------------------------

    def _columns(self) -> int:
        return self.session.output.get_size().columns

    def _message(self) -> FormattedText:
        label = prompt_label(self.app.conversation.model, self._columns())
        return FormattedText([("class:prompt", f"{label} ❯ ")])

    def _toolbar(self) -> FormattedText:
        app = self.app
        problem, thinking = app.status()
        info = app.conversation.info
        return FormattedText(
            toolbar(
                model=app.conversation.model,
                problem=problem,
                thinking=thinking,
                can_think=info is None or info.thinks,
                shown=app.show_thinking,
                saving=app.session.saving,
                width=self._columns(),
                toggle_key=short_label(self.keymap.keys["toggle_thinking"][0]),
                context=app.context.toolbar(),
            )
        )

    def _accept(self, app: Application[str], buffer: Buffer) -> None:
        """Send the message: the screen keeps `[pasted N lines]`, the model and the history
        get the whole text."""
        if not buffer.validate(set_cursor=True):
            return
        text = self.pastes.expand(buffer.text)
        self.pastes.clear()  # a paste whose label was edited away is not sent
        strings = buffer.history.get_strings()
        if text.strip() and (not strings or strings[-1] != text):
            buffer.history.append_string(text)
        app.exit(result=text, style="class:accepted")

    async def _edit_in_editor(self, buffer: Buffer) -> None:
        """Ctrl-X Ctrl-E: the message in $EDITOR; a changed text comes back to the prompt (to
        be sent with Enter), an unchanged or emptied one leaves the prompt as it was."""
        before = self.pastes.expand(buffer.text)
        edited = await run_in_terminal(lambda: run_editor(before), in_executor=True)
        if edited is None or not edited.strip() or edited.strip() == before.strip():
            return
        buffer.document = Document(edited, len(edited))

    def _bindings(self) -> KeyBindings:
        kb = KeyBindings()

        @kb.add(Keys.Enter)
        def _enter(event: KeyPressEvent) -> None:
            if event.app.layout.is_searching:
                search.accept_search()  # Ctrl-R found it: send it, as readline does
            buffer = event.app.current_buffer
            if open_fence(buffer.text):
                buffer.insert_text("\n")
            else:
                self._accept(event.app, buffer)

        def _newline(event: KeyPressEvent) -> None:
            if event.app.layout.is_searching:
                search.accept_search()
            event.app.current_buffer.insert_text("\n")

        def _toggle(event: KeyPressEvent) -> None:
            self.app.toggle_thinking()

        def _clear(event: KeyPressEvent) -> None:
            event.app.exit(exception=KeyboardInterrupt, style="class:aborting")

        def _editor(event: KeyPressEvent) -> None:
            event.app.create_background_task(self._edit_in_editor(event.current_buffer))

        self.keymap.bind(kb, "newline", _newline)
        self.keymap.bind(kb, "toggle_thinking", _toggle)
        # At the prompt a stop key clears the line, as Ctrl-C does there already.
        self.keymap.bind(kb, "stop", _clear, besides=("c-c",), filter=~is_searching)
        self.keymap.bind(kb, "editor", _editor, filter=~is_searching)

        @kb.add(Keys.BracketedPaste, filter=~is_searching)
        def _paste(event: KeyPressEvent) -> None:
            event.current_buffer.insert_text(self.pastes.collapse(normalize(event.data)))

        return kb

    # --- streaming keys ------------------------------------------------------------------

    def _on_stream_key(self, press: KeyPress) -> None:
        """The toggle and stop keys (Ctrl-T, Ctrl-C) act now; other typing is kept for the next
        prompt (type-ahead)."""
        action, typed = self.stream_keys.feed(press)
        for earlier in typed:
            self._type_ahead(earlier)
        if action == "toggle_thinking":
            self.app.toggle_thinking()
        elif action == "stop":
            # On the loop's next step: a Ctrl-C typed in the same burst as Enter reaches us
            # before the task's first step, which adds the message that must not be lost.
            asyncio.get_running_loop().call_soon(self._stop, self._task)

    def _type_ahead(self, press: KeyPress) -> None:
        key = press.key
        if key in (Keys.ControlM, Keys.Enter):
            self.typeahead += "\r"
        elif key in (Keys.ControlH, Keys.Backspace):
            if self.typeahead and not self.typeahead.endswith("\r"):
                self.typeahead = self.typeahead[:-1]
        elif key == Keys.BracketedPaste:
            self.typeahead += self.pastes.collapse(normalize(press.data))
        elif len(press.data) == 1 and (press.data.isprintable() or press.data == "\t"):
            self.typeahead += press.data

    def _stop(self, task: asyncio.Future[None] | None) -> None:
        """Ctrl-C: stop the reply or tool that runs; else whatever the command waits for."""
        if task is not None and not task.done() and not self.app.interrupt():
            task.cancel()

    def _next_typed_line(self) -> str | None:
        """A complete line typed while busy (sent as if typed at the prompt), if any."""
        line, enter, rest = self.typeahead.partition("\r")
        if not enter:
            return None
        self.typeahead = rest
        return line

    async def _run_with_keys(self, coro: Awaitable[None]) -> None:
        """Run a turn or command while reading Ctrl-T/Ctrl-C in raw mode; always restore."""
        task = asyncio.ensure_future(coro)
        self._task = task
        keys = self.frontend.keys
        with contextlib.suppress(OSError, ValueError):  # not a terminal: no raw mode
            keys.attach(self._on_stream_key)
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the REPL itself is stopping (SIGTERM)
            self.app.renderer.interrupted_marker()
        finally:
            self._task = None
            keys.detach()

    # --- loop ----------------------------------------------------------------------------

    async def run(self) -> int:
        """Prompt until Ctrl-D or /exit; returns the exit status."""
        self.app.start_model_info()
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signal.SIGINT, self.app.interrupt)
        models = asyncio.create_task(self._load_models())
        missing = asyncio.create_task(self._missing_at_start())
        try:
            while True:
                typed = self._next_typed_line()
                try:
                    if typed is not None:
                        echo = FormattedText([*self._message(), ("", typed)])
                        print_formatted_text(echo, style=self.style, output=self.frontend.output)
                        text = self.pastes.expand(typed)
                        self.session.history.append_string(text)
                    else:
                        default, self.typeahead = self.typeahead, ""
                        text = await self.session.prompt_async(self._message, default=default)
                except KeyboardInterrupt:  # Ctrl-C cleared the line, pastes and all
                    self.pastes.clear()
                    continue
                except EOFError:
                    return 0
                if self._ask_pull:  # the model given at start is not on the server
                    self._ask_pull = False
                    await self._run_with_keys(self._offer_pull())
                    continue
                text = strip_fence(self.pastes.expand(text))  # any other way of accepting
                if not text.strip():
                    continue
                try:
                    if is_command(text):
                        await self._run_with_keys(run_command(self.app, text))
                    else:
                        await self._run_with_keys(self._send(text))
                except Exit:
                    return 0
        finally:
            models.cancel()
            missing.cancel()
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(signal.SIGINT)

    async def _missing_at_start(self) -> None:
        """When the model asked for at start (--model, or the config's) turns out not to be on
        the server while the prompt waits, empty, leave the prompt to offer the pull. Otherwise
        (a resumed conversation's model, something typed already) the first message offers it.
        """
        if not self.app.config.model or self.app.config.model != self.app.conversation.model:
            return
        try:
            await self.app.model_info()
        except ModelNotFound:
            prompt = self.session.app
            if prompt.is_running and self._task is None and not self.session.default_buffer.text:
                self._ask_pull = True
                prompt.exit(result="")
        except TermchatError:
            return  # the toolbar says it; the first message reports it

    async def _offer_pull(self) -> None:
        from termchat.pulling import offer_pull

        model = self.app.conversation.model
        if model:
            await offer_pull(self.app, model)

    async def _send(self, text: str) -> None:
        """Send a message; one that could not go (a file it names cannot be attached, the
        model cannot see images) comes back to the prompt, to be edited."""
        if not await send_message(self.app, unescape_message(text)):
            self.typeahead = text + self.typeahead

    async def _load_models(self) -> None:
        """Fill the /model completion list in the background; failures are silent here."""
        with contextlib.suppress(TermchatError):
            models = await self.app.backend.list_models()
            self.app.models_cache = [m.name for m in models]
