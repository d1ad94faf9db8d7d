"""Large pastes: shown at the prompt as one `[pasted N lines]` line, sent whole."""

from __future__ import annotations

import re

PASTE_LINES = 10
"""A paste of more lines than this is shown collapsed."""
PASTE_CHARS = 1000
"""A paste of more characters than this is shown collapsed, however few its lines."""


def normalize(data: str) -> str:
    """Pasted text with the terminal's CR or CRLF line ends made LF."""
    return data.replace("\r\n", "\n").replace("\r", "\n")


class Pastes:
    """The large pastes of the message being typed, each behind the label that stands for it."""

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}

    def collapse(self, text: str) -> str:
        """What to put in the prompt for a paste: the text itself when it is small, else a label
        (`[pasted 300 lines]`, `[pasted 5000 characters]`) that `expand` turns back into it."""
        lines = len(text.splitlines())
        if lines <= PASTE_LINES and len(text) <= PASTE_CHARS:
            return text
        what = f"{lines} lines" if lines > 1 else f"{len(text)} characters"
        label = f"[pasted {what}]"
        number = 2
        while self._texts.get(label, text) != text:  # another paste of the same size
            label = f"[pasted {what} #{number}]"
            number += 1
        self._texts[label] = text
        return label

    def expand(self, text: str) -> str:
        """`text` with every label put back as the text it stands for; the labels used are
        forgotten (they were sent)."""
        if not self._texts:
            return text
        labels = sorted(self._texts, key=len, reverse=True)
        pattern = re.compile("|".join(re.escape(label) for label in labels))
        used: set[str] = set()

        def pasted(match: re.Match[str]) -> str:
            used.add(match.group())
            return self._texts[match.group()]

        expanded = pattern.sub(pasted, text)
        for label in used:
            del self._texts[label]
        return expanded

    def clear(self) -> None:
        """Forget the pastes (the message was sent, or dropped)."""
        self._texts.clear()
