"""The prompt's label and its bottom toolbar, both fitted to the terminal's width."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from termchat.render.sanitize import name_text, one_line, short_name
from termchat.repl.cells import cells, clip

Fragments = list[tuple[str, str]]


def prompt_label(model: str | None, columns: int) -> str:
    """The model's short name for the prompt, cut to a third of the width (8 to 24 cells), so
    that a long name leaves room to type. The toolbar shows the full name."""
    if not model:
        return "no model"
    return clip(short_name(model), max(8, min(24, columns // 3)))


@dataclass(frozen=True)
class Part:
    """One thing the toolbar can say.

    Attributes:
        fragments: (style, text) pieces.
        rank: Importance; the highest rank is dropped first when the width is short.
        group: Parts of one group are joined by two spaces, groups by ` │ `.
    """

    fragments: tuple[tuple[str, str], ...]
    rank: int
    group: int


def _joined(parts: Sequence[Part]) -> Fragments:
    out: Fragments = [("", " ")]
    for index, part in enumerate(parts):
        if index:
            out.append(("", "  " if part.group == parts[index - 1].group else " │ "))
        out.extend(part.fragments)
    out.append(("", " "))
    return out


def _width(fragments: Fragments) -> int:
    return sum(cells(text) for _, text in fragments)


def fit(parts: Sequence[Part], width: int) -> Fragments:
    """The parts that fit in `width` cells, in their order; the most important part is always
    there (cut with `…` if it alone is too wide), the others are kept by rank while they fit.
    Nothing is ever cut in the middle of a word."""
    chosen: list[int] = []
    for index in sorted(range(len(parts)), key=lambda i: parts[i].rank):
        trial = sorted([*chosen, index])
        if not chosen or _width(_joined([parts[i] for i in trial])) <= width:
            chosen = trial
    out = _joined([parts[i] for i in chosen])
    excess = _width(out) - width
    if excess > 0 and len(chosen) == 1:  # only the first part is there: cut its last piece
        style, text = out[-2]
        out[-2] = (style, clip(text, max(cells(text) - excess, 1)))
    return out


def toolbar(
    *,
    model: str | None,
    problem: str | None,
    thinking: str,
    can_think: bool,
    shown: bool,
    saving: bool,
    width: int,
    toggle_key: str = "^T",
    context: tuple[str, str] | None = None,
) -> Fragments:
    """The toolbar under the prompt: model │ problem │ thinking │ context │ not saved │ keys.

    Dropped first when short of room: `^D quit`, then `/help`, `^T …`, the thinking state,
    the context figure (kept longer when it warns); the model, a problem reaching it and
    `not saved` stay. `context` is (level "ok" | "warn" | "full", text).
    `^T` (or the key `[keys]` chose: `toggle_key`) is offered only for a model that can think;
    Ctrl-C is not offered (at the prompt it only clears the line).
    """
    key = "class:bottom-toolbar.key"
    name = name_text(model) if model else "no model"
    parts = [Part((("class:bottom-toolbar.model", name),), 0, 0)]
    if problem:
        parts.append(Part((("class:bottom-toolbar.problem", one_line(problem)),), 1, 1))
    parts.append(Part((("", thinking),), 3, 2))
    if context is not None:
        how, text = context
        style = "class:bottom-toolbar.context" + ("" if how == "ok" else f".{how}")
        parts.append(Part(((style, text),), 3 if how == "ok" else 2, 5))
    if not saving:
        parts.append(Part((("class:bottom-toolbar.warning", "not saved"),), 2, 3))
    if can_think:
        words = f" {'hide' if shown else 'show'} thinking"
        parts.append(Part(((key, toggle_key), ("", words)), 4, 4))
    parts.append(Part(((key, "^D"), ("", " quit")), 6, 4))
    parts.append(Part((("", "/help"),), 5, 4))
    return fit(parts, width)
