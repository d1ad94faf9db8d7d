"""Search results: one row per hit, the matched words highlighted in the snippet."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from termchat.render.sanitize import sanitize


def snippet_text(snippet: str, start: str, end: str) -> Text:
    """A snippet whose matches are wrapped in `start`…`end` markers, as styled Text."""
    text = Text()
    rest = snippet
    while rest:
        before, found, after = rest.partition(start)
        text.append(sanitize(before).replace("\n", " "))
        if not found:
            break
        match, _, rest = after.partition(end)
        text.append(sanitize(match).replace("\n", " "), style="termchat.search.match")
    return text


def search_table(
    hits: Sequence[tuple[str, str, str, str]], start: str, end: str, *, title: str = "Matches"
) -> Table:
    """Rows of (session id, title, field, snippet) as a table; every cell is untrusted."""
    table = Table(title=title, show_lines=False, expand=False)
    for column in ("id", "title", "in", "snippet"):
        table.add_column(column, overflow="fold")
    for session_id, session_title, field, snippet in hits:
        table.add_row(
            Text(sanitize(session_id)),
            Text(sanitize(session_title)),
            Text(field),
            snippet_text(snippet, start, end),
        )
    return table
