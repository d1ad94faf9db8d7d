"""The terminal output the REPL draws through: no text it writes can carry a control character."""

from __future__ import annotations

import re

from prompt_toolkit.application.current import get_app_session
from prompt_toolkit.output import Output
from prompt_toolkit.output.vt100 import Vt100_Output

from termchat.render.trim import ERASE_BELOW

# prompt_toolkit's screen already shows C0 and C1 controls as `^[` and `<9b>`, and its `write`
# turns ESC into `?`; what is left are the controls in `print_formatted_text` (which writes
# fragments as they are) and the zero-width bidi controls, which would reorder what follows.
_DROPPED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


class SafeOutput(Vt100_Output):
    """prompt_toolkit's terminal output, with C0/C1 controls (bar newline, tab and carriage
    return) and bidi controls dropped from every piece of text it writes. Its own escape
    sequences go through `write_raw`, untouched. The REPL's prompt, toolbar, completion menu,
    dialogs and picker all draw through it (see `ReplFrontend.terminal`)."""

    def erase_down(self) -> None:
        """Erase from the cursor to the end of the screen, never as an erase from the top-left
        cell (see `ERASE_BELOW`)."""
        self.write_raw(ERASE_BELOW)

    def write(self, data: str) -> None:
        """Write text (prompt_toolkit's own escape sequences never come this way)."""
        super().write(_DROPPED.sub("", data) if _DROPPED.search(data) else data)


def safe_output() -> Output:
    """The output prompt_toolkit would use now, as a `SafeOutput` when it is a terminal's (a
    test's DummyOutput, or a pipe's plain output, is returned as it is)."""
    current = get_app_session().output
    if type(current) is not Vt100_Output:
        return current
    return SafeOutput(
        current.stdout,
        current.get_size,
        term=current.term,
        default_color_depth=current.default_color_depth,
        enable_bell=current.enable_bell,
        enable_cpr=current.enable_cpr,
    )
