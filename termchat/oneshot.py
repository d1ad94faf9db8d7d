"""A run without a prompt: its question (the prompt, then what is piped on stdin) and its turn."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from termchat.errors import ConfigError, TermchatError

if TYPE_CHECKING:
    from termchat.app import ChatApp
    from termchat.cli.chat import ChatOptions

STDIN_LIMIT = 1024 * 1024  # bytes of piped text one question may carry


def ask_with_stdin(prompt: str | None) -> str:
    """The question of a run without a prompt: the prompt, then the text piped on stdin (a
    blank line between), as `ollama run` and llm send them.

    Raises:
        ConfigError: No question at all, or more piped text than STDIN_LIMIT.
    """
    piped = "" if sys.stdin is None or sys.stdin.isatty() else _read_stdin()
    if prompt is None:
        if sys.stdin is None or sys.stdin.isatty():
            raise ConfigError("No question: pass -p TEXT or pipe text on stdin")
        if not piped:
            raise ConfigError("stdin was empty: nothing to ask")
        return piped
    return f"{prompt}\n\n{piped}" if piped else prompt


def _read_stdin() -> str:
    """What is piped on stdin, without its final newlines; refused past STDIN_LIMIT."""
    source = getattr(sys.stdin, "buffer", None)
    data = source.read(STDIN_LIMIT + 1) if source is not None else sys.stdin.read(STDIN_LIMIT + 1)
    if len(data) > STDIN_LIMIT:
        raise ConfigError(
            "The text piped on stdin is larger than 1 MiB, more than a question may carry; "
            "send a part of it (e.g. through tail -c 1M)"
        )
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return text.rstrip()  # the final newline of a pipe is not the message


async def _warn_think(app: ChatApp) -> None:
    """`--think` that cannot be honoured is said once, as `/think` says it in the REPL."""
    conv = app.conversation
    if conv.think in (None, False):
        return
    if app.config.backend == "openai":
        app.renderer.warning(
            "--think is not sent to OpenAI-compatible servers (a model there reasons or not "
            "on its own); it is ignored."
        )
        return
    try:
        info = await app.model_info()
    except TermchatError:
        return  # the turn reports it
    if info is not None and not info.thinks:
        app.renderer.warning(f"{conv.model} does not support thinking; --think is ignored.")


async def one_shot(
    app: ChatApp, question: str, options: ChatOptions, *, stopped: Callable[[], bool]
) -> int:
    """Ask once and exit: 0 when the answer completed, 1 otherwise, 130 on Ctrl-C.

    Args:
        stopped: whether Ctrl-C came (before anything arrived, or while a tool ran, it leaves
            no interrupted reply behind to tell by).
    """
    if not app.conversation.model:
        app.renderer.error("No model: pass --model NAME (and pull it with: termchat pull NAME).")
        return 2
    if "think" in options.explicit:
        await _warn_think(app)
    from termchat.outgoing import send_message

    # Only the prompt may name files: text piped on stdin is sent as it is.
    if not await send_message(app, question, scan=options.prompt or ""):
        return 2
    last = app.conversation.messages[-1] if app.conversation.messages else None
    if last is not None and last.role == "assistant":
        if not (last.interrupted or last.error):
            return 0
        if last.interrupted and last.error is None:
            return 128 + signal.SIGINT
    return 128 + signal.SIGINT if stopped() else 1
