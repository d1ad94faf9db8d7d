"""The termchat keys in effect (defaults, or `[keys]` in config.toml): bound at the prompt, and
matched while a reply streams."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prompt_toolkit.enums import EditingMode
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.key_binding.key_processor import KeyPress
from prompt_toolkit.keys import KEY_ALIASES, Keys

from termchat.keymap import effective_keys

STREAM_ACTIONS = ("toggle_thinking", "stop")
"""The actions that work while a reply streams (the keyboard is read raw then)."""


def _names(spec: str) -> tuple[str, ...]:
    """prompt_toolkit's own names (`enter` is `c-m`, `tab` is `c-i`), as KeyPress.key holds them."""
    return tuple(KEY_ALIASES.get(name, name) for name in spec.split())


def _name(press: KeyPress) -> str:
    """The key's name (`c-t`, or the character typed)."""
    return press.key.value if isinstance(press.key, Keys) else press.key


class KeyMap:
    """The keys of each action, for one REPL.

    Args:
        chosen: The keys chosen in config.toml (`Config.keys`), already validated.
        edit_mode: "emacs" or "vi".
    """

    def __init__(self, chosen: dict[str, list[str]], edit_mode: str) -> None:
        self.keys = effective_keys(chosen, edit_mode)
        self.editing_mode = EditingMode.VI if edit_mode == "vi" else EditingMode.EMACS

    def bind(
        self,
        kb: KeyBindings,
        action: str,
        handler: Callable[[Any], None],
        *,
        besides: tuple[str, ...] = (),
        **kw: Any,
    ) -> None:
        """Bind every key of `action` to `handler` (`kw`: filter, eager…), except those in
        `besides` (keys prompt_toolkit already gives that meaning)."""
        for spec in self.keys[action]:
            if spec not in besides:
                kb.add(*_names(spec), **kw)(handler)

    def stream_keys(self) -> StreamKeys:
        """A fresh matcher for the keys of a streaming reply."""
        sequences = [
            (_names(spec), action) for action in STREAM_ACTIONS for spec in self.keys[action]
        ]
        taken = {_names(spec) for specs in self.keys.values() for spec in specs}
        if ("c-c",) not in taken:  # Ctrl-C stops a reply unless it was given another job
            sequences.append((("c-c",), "stop"))
        return StreamKeys(sequences)


class StreamKeys:
    """Matches the keys typed during a reply against the streaming actions' sequences.

    Args:
        sequences: (key names, action) pairs.
    """

    def __init__(self, sequences: list[tuple[tuple[str, ...], str]]) -> None:
        self.sequences = sequences
        self._pending: list[KeyPress] = []

    def feed(self, press: KeyPress) -> tuple[str | None, list[KeyPress]]:
        """The action the keys so far complete (if any), and the presses that turned out to be
        no action's (typed: they go to the type-ahead)."""
        self._pending.append(press)
        spilled: list[KeyPress] = []
        while self._pending:
            typed = tuple(_name(p) for p in self._pending)
            for names, action in self.sequences:
                if names == typed:
                    self._pending = []
                    return action, spilled
            if any(names[: len(typed)] == typed for names, _ in self.sequences):
                return None, spilled  # the start of a sequence: wait for the rest
            spilled.append(self._pending.pop(0))
        return None, spilled
