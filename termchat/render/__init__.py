"""Everything the user sees of a reply; the only package that imports rich.

`Renderer` and `LiveReply` are imported on first use, so `termchat.render.sanitize` and
`termchat.render.blocks` stay usable without loading rich.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from termchat.render.live import LiveReply
    from termchat.render.renderer import Renderer

__all__ = ["LiveReply", "Renderer"]


def __getattr__(name: str) -> Any:
    if name == "Renderer":
        from termchat.render.renderer import Renderer

        return Renderer
    if name == "LiveReply":
        from termchat.render.live import LiveReply

        return LiveReply
    raise AttributeError(f"module 'termchat.render' has no attribute {name!r}")
