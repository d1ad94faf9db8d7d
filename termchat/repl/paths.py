"""Tab completion of file paths: after `@` anywhere in a message, and after /file and /image."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from termchat.attachments import path_completions
from termchat.render.sanitize import name_text

PATH_COMMANDS = ("/file ", "/image ")


class PathCompleter(Completer):
    """Completes the path being typed after `@`, or as the first argument of /file or /image.

    A path with a space is offered quoted (`"my notes.md"`), the form both read back.
    """

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        text = document.text_before_cursor
        word = _path_word(text)
        if word is None:
            return
        typed = word.lstrip("\"'")
        for path in path_completions(typed, Path.cwd()):
            shown = Path(path.rstrip("/")).name + ("/" if path.endswith("/") else "")
            value = f'"{path}"' if " " in path else path
            # A file's name is anyone's word: shown sanitized, invisible characters visible.
            yield Completion(value, start_position=-len(word), display=name_text(shown))


def _path_word(text: str) -> str | None:
    """The path being typed at the end of `text`, if completing one makes sense there."""
    if "\n" not in text:
        for command in PATH_COMMANDS:
            if text.lower().startswith(command):
                rest = text[len(command) :]
                if rest.startswith(('"', "'")) or " " not in rest:
                    return rest
                return None
    last = text.rsplit(maxsplit=1)[-1] if text.strip() and not text[-1].isspace() else ""
    if last.startswith("@") and not last.startswith("@@"):
        return last[1:]
    return None
