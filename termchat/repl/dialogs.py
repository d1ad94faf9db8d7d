"""Dialogs the REPL opens: tool approval and the external editor; the REPL's style."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import subprocess
import tempfile
from collections.abc import Sequence
from typing import Any

from prompt_toolkit import PromptSession, print_formatted_text
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.keys import Keys
from prompt_toolkit.output import Output
from prompt_toolkit.styles import Style

from termchat.messages import ToolCall
from termchat.render.sanitize import escape_for_display
from termchat.tools.policy import ApprovalAnswer

STYLE = Style.from_dict(
    {
        "prompt": "bold ansicyan",
        "bottom-toolbar": "noreverse bg:#303030 #d0d0d0",
        "bottom-toolbar.model": "bold #ffffff",
        "bottom-toolbar.key": "bold ansicyan",
        "bottom-toolbar.problem": "bold #ffaf5f",
        "bottom-toolbar.warning": "bold #ffaf5f",
        "bottom-toolbar.context": "",
        "bottom-toolbar.context.warn": "bold #ffaf5f",
        "bottom-toolbar.context.full": "bold #ff5f5f",
        "picker.chosen": "reverse",
        "picker.hint": "#8a8a8a",
        "picker.problem": "#ffaf5f",
        "picker.match": "bold ansiyellow",
    }
)


WORDS = {"y": "yes", "a": "always", "n": "no", "e": "edit", "enter": "no", "": "stopped"}
"""How an answer is echoed on the question's line, so that the scrollback says what was said."""


class ReplApprover:
    """Asks about each tool call with single keys: y once, a always, n no (then a reason),
    e edit; Enter alone is no at once.

    Args:
        inp: The terminal's input.
        output: The terminal's output (the REPL's `SafeOutput`).
    """

    def __init__(self, inp: Input, output: Output) -> None:
        self.input = inp
        self.output = output

    def _session(self, **options: Any) -> PromptSession[str]:
        return PromptSession(input=self.input, output=self.output, **options)

    def _say(self, text: str) -> None:
        print_formatted_text(text, output=self.output)

    async def _key(
        self, message: str, allowed: str, words: dict[str, str] | None = None
    ) -> str | None:
        """One key of `allowed`, or "enter"; None for Ctrl-C or Ctrl-D. The question's line
        keeps the answer as a word: `Run x? … (Enter: no) → yes`."""
        kb = KeyBindings()

        def answer(event: KeyPressEvent, key: str) -> None:
            event.app.current_buffer.text = f"→ {(words or WORDS)[key]}"
            event.app.exit(result=key)

        for letter in allowed:

            @kb.add(letter)
            @kb.add(letter.upper())
            def _pick(event: KeyPressEvent, letter: str = letter) -> None:
                answer(event, letter)

        @kb.add(Keys.Enter)
        def _default(event: KeyPressEvent) -> None:
            answer(event, "enter")

        @kb.add(Keys.ControlC)
        @kb.add(Keys.ControlD)
        def _cancel(event: KeyPressEvent) -> None:
            answer(event, "")

        @kb.add(Keys.Any)
        def _ignore(event: KeyPressEvent) -> None:
            pass

        session = self._session(key_bindings=kb, style=STYLE)
        key = await session.prompt_async(FormattedText([("class:prompt", message)]))
        return key or None

    async def approve(self, call: ToolCall, *, offer_always: bool) -> ApprovalAnswer | None:
        """Ask once; None when the user pressed Ctrl-C (stop the chain). Only `n` asks for a
        reason, so Enter alone denies at once.

        Args:
            offer_always: Offer [a] always (not for tools that ask before every call).
        """
        always = "[a] always  " if offer_always else ""
        name = escape_for_display(call.name)  # the model's words: shown exactly
        message = f"Run {name}? [y] yes  {always}[n] no + reason  [e] edit  (Enter: no) "
        letter = await self._key(message, "yane" if offer_always else "yne")
        if letter is None:
            return None
        if letter == "enter":
            return ApprovalAnswer("deny")
        if letter == "n":
            try:
                reason = await self._session().prompt_async(
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
                text = await self._session().prompt_async("Arguments (JSON): ", default=text)
            except (KeyboardInterrupt, EOFError):
                return None
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                self._say(f"Not valid JSON: {exc.msg} at column {exc.colno}. Try again.")
                continue
            if not isinstance(value, dict):
                self._say("The arguments must be a JSON object {...}. Try again.")
                continue
            return value

    async def confirm_pull(self, model: str) -> bool:
        """`Pull NAME now? [Y/n]`: Enter or y is yes."""
        name = escape_for_display(model)  # the user's or a server's words: shown exactly
        letter = await self._key(f"Pull {name} now? [Y/n] ", "yn", {**WORDS, "enter": "yes"})
        return letter in ("y", "enter")

    async def confirm_more(self, rounds: int) -> bool:
        """At the chain limit: go on with more tool rounds?"""
        letter = await self._key(f"{rounds} rounds of tool calls. Continue? [y/n] ", "yn")
        return letter == "y"

    async def pick_option(self, question: str, options: Sequence[str]) -> int | None:
        """A digit picks one of (at most 9) `options`; Enter the first; None on Ctrl-C."""
        shown = [escape_for_display(option) for option in options[:9]]
        keys = "".join(str(number) for number in range(1, len(shown) + 1))
        words = {key: shown[int(key) - 1] for key in keys}
        words.update({"enter": shown[0] if shown else "", "": "cancelled"})
        listed = "  ".join(f"[{key}] {text}" for key, text in zip(keys, shown, strict=True))
        key = await self._key(f"{question} {listed}  (Enter: 1) ", keys, words)
        if key is None:
            return None
        return 0 if key == "enter" else int(key) - 1

    async def choose(self, question: str, choices: Sequence[tuple[str, str]]) -> str | None:
        """One key of `choices` (key, what it does), echoed as what it does; Enter, Ctrl-C
        and Ctrl-D decline (None)."""
        offered = "  ".join(f"[{key}] {label}" for key, label in choices)
        words = {**{key: label for key, label in choices}, "enter": "not sent", "": "not sent"}
        message = f"{question} {offered}  (Enter: not now) "
        return await self._key(message, "".join(key for key, _ in choices), words)


def run_editor(text: str) -> str | None:
    """Open $VISUAL (else $EDITOR, else vi) on `text` and wait for it to close.

    Returns:
        The saved text without its trailing newlines; None when the editor could not start
        or failed (a non-zero exit, as `:cq` in vi).
    """
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False, encoding="utf-8") as f:
        f.write(text)
        path = f.name
    try:
        if subprocess.call([*shlex.split(editor), path]) != 0:
            return None
        with open(path, encoding="utf-8") as f:
            return f.read().rstrip("\n")
    except (OSError, ValueError):  # no such program; unbalanced quotes in $EDITOR
        return None
    finally:
        os.unlink(path)


async def edit_in_editor(text: str) -> str | None:
    """`run_editor` in a thread, so the event loop goes on."""
    return await asyncio.to_thread(run_editor, text)
