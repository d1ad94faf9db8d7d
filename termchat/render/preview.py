"""A theme's sample: a few lines of a chat drawn in its styles (for `termchat themes`)."""

from __future__ import annotations

from rich.rule import Rule
from rich.text import Text

from termchat.messages import Stats
from termchat.render.renderer import Renderer
from termchat.render.thinking import Ruled, header

SAMPLE_ANSWER = (
    "Use a **for** loop, as the [tutorial](https://docs.python.org/3/tutorial) shows:\n\n"
    '```python\nfor name in names:\n    print(f"hello {name}")  # one per line\n```'
)


def print_preview(renderer: Renderer, title: str) -> None:
    """Draw `title`, then the sample chat, with `renderer`'s theme."""
    renderer.print(Rule(Text(title, style="bold"), align="left", style="termchat.footer"))
    renderer.user_message("How do I greet everyone in a list?", "qwen3")
    renderer.print(header())
    renderer.print(Ruled("They want a loop. A for loop over the names is simplest."))
    renderer.markdown(SAMPLE_ANSWER, number_code=True)
    renderer.footer("qwen3", Stats(eval_count=48, eval_duration=900_000_000), 1.2, 1)
    renderer.print(
        Text.assemble(
            ("a notice", "termchat.notice"),
            "  ",
            ("a warning", "termchat.warning"),
            "  ",
            ("an error", "termchat.error"),
        ),
        Text(),
    )
