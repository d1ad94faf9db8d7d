"""The context window in numbers: which window applies, how big a request is, and whether the
server dropped part of it (pure: plain values in, plain values out)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from termchat.messages import Message

CHARS_PER_TOKEN = 4
"""English text runs about four characters a token in the common tokenizers; code and other
languages run fewer, which only makes the real count larger than ours."""
MESSAGE_OVERHEAD = 4  # the template's role markers around each message
WARN_AT = 0.8  # share of the window from which the toolbar warns
FULL_AT = 0.95
DROPPED_BELOW = 0.75
"""The server's prompt count below this share of the smallest plausible size of the request
means part of it was dropped (our count of the text itself, without reasoning, is the floor)."""
DROPPED_MIN = 64  # tokens missing before it counts as dropped (short chats are noisy)
RATIO_LIMITS = (0.5, 3.0)  # how far a measurement may correct our counting

Source = Literal["num_ctx", "loaded", "model"]
Level = Literal["ok", "warn", "full"]

SOURCE_TEXT: dict[Source, str] = {
    "num_ctx": "num_ctx",
    "loaded": "as loaded by the server",
    "model": "the model's maximum",
}

_CONTEXT_ERROR = re.compile(
    r"exceeds? (?:the )?(?:context|available context)|context (?:window|length|size)"
    r"|maximum context length|too many tokens|prompt is too long",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Window:
    """The context window a request is made against, and where the figure came from."""

    size: int
    source: Source


def choose_window(num_ctx: object, loaded: int | None, model_max: int | None) -> Window | None:
    """`num_ctx` when the user set it, else the context the server loaded the model with
    (`/api/ps`), else the model's own maximum (`/api/show`); None when none is known."""
    if isinstance(num_ctx, int) and not isinstance(num_ctx, bool) and num_ctx > 0:
        return Window(num_ctx, "num_ctx")
    if loaded:
        return Window(loaded, "loaded")
    if model_max:
        return Window(model_max, "model")
    return None


# --- counting ---------------------------------------------------------------------------


def text_tokens(text: str) -> int:
    """Our count of a text's tokens (see CHARS_PER_TOKEN)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def message_tokens(message: Message, *, reasoning: bool = True) -> int:
    """Tokens one message takes in a request; `reasoning=False` leaves its thinking out."""
    total = MESSAGE_OVERHEAD + text_tokens(message.content)
    if reasoning:
        total += text_tokens(message.thinking)
    for call in message.tool_calls:
        total += text_tokens(call.name) + text_tokens(json.dumps(call.arguments))
    return total


def request_tokens(messages: Sequence[Message], *, reasoning: bool = True) -> int:
    """Our count of a request made of `messages` (the system prompt among them)."""
    return sum(message_tokens(m, reasoning=reasoning) for m in messages)


def _last_user(messages: Sequence[Message]) -> int:
    return max((i for i, m in enumerate(messages) if m.role == "user"), default=len(messages))


def old_reasoning_tokens(messages: Sequence[Message]) -> int:
    """Tokens of the reasoning of replies before the last question (what dropping saves)."""
    return sum(text_tokens(m.thinking) for m in messages[: _last_user(messages)])


def without_old_reasoning(messages: Sequence[Message]) -> list[Message]:
    """The messages with the reasoning of replies before the last question left out (the
    reasoning of the turn in progress stays: the model's tool calls follow from it)."""
    last = _last_user(messages)
    return [
        replace(m, thinking="") if i < last and m.thinking else m for i, m in enumerate(messages)
    ]


# --- measuring --------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """What one request really took, beside our counts of it.

    Attributes:
        prompt: The server's count of the prompt (`prompt_eval_count`, OpenAI `prompt_tokens`).
        output: Tokens generated (`eval_count`, `completion_tokens`).
        counted: Our count of the request as sent.
        floor: Our count of its text without any reasoning (the smallest it can be).
        dropped: The server dropped part of it.
    """

    prompt: int
    output: int
    counted: int
    floor: int
    dropped: bool = False

    @property
    def used(self) -> int:
        """Tokens of the window in use after the reply: prompt plus reply."""
        return self.prompt + self.output


def _clamped(ratio: float) -> float:
    low, high = RATIO_LIMITS
    return min(max(ratio, low), high)


def estimate(counted: int, last: Measure | None) -> int:
    """A request's size: our count, corrected by how the last real count compared with ours
    (a measurement of a request the server cut short corrects nothing)."""
    if last is None or last.dropped or not last.counted:
        return counted
    return math.ceil(counted * _clamped(last.prompt / last.counted))


def was_dropped(prompt: int, floor: int, last: Measure | None) -> bool:
    """Whether a prompt count shows that the server left part of the request out: it is well
    below the request's floor (our count of its text without reasoning, corrected by the last
    sound measurement)."""
    ratio = 1.0
    if last is not None and not last.dropped and last.floor:
        ratio = _clamped(last.prompt / last.floor)
    expected = floor * ratio
    return prompt < expected * DROPPED_BELOW and expected - prompt >= DROPPED_MIN


def measure(
    prompt: int | None,
    output: int | None,
    sent: Sequence[Message],
    last: Measure | None,
    *,
    reasoning: bool = True,
) -> Measure | None:
    """The measurement of a request that got a reply; None when the server gave no count.

    Args:
        reasoning: The request carried the messages' reasoning (Ollama's API does; the
            OpenAI form does not).
    """
    if prompt is None:
        return None
    floor = request_tokens(sent, reasoning=False)
    return Measure(
        prompt=prompt,
        output=output or 0,
        counted=request_tokens(sent, reasoning=reasoning),
        floor=floor,
        dropped=was_dropped(prompt, floor, last),
    )


def last_counts(
    history: Sequence[Message], within: int | None = None
) -> tuple[int, int, int] | None:
    """Where the last reply of `history` is and the server's counts of it: (its index, the
    prompt's tokens, the reply's); None when it has no counts or there is no reply (among the
    last `within` messages).

    Reads by index from the end: a resumed history reads its earlier part only when needed.
    """
    stop = -1 if within is None else max(len(history) - within, 0) - 1
    for index in range(len(history) - 1, stop, -1):
        message = history[index]
        if message.role != "assistant":
            continue
        stats = message.stats
        if stats is None or stats.prompt_eval_count is None:
            return None
        return index, stats.prompt_eval_count, stats.eval_count or 0
    return None


def from_history(history: Sequence[Message]) -> Measure | None:
    """The measurement of the last reply of a conversation read back (resume): the request is
    taken to be the messages before it (the system prompt first, if any)."""
    found = last_counts(history)
    if found is None:
        return None
    index, prompt, output = found
    return measure(prompt, output, history[:index], None)


# --- showing ----------------------------------------------------------------------------


def level(used: int, window: Window | None) -> Level:
    """How full the window is: "ok", "warn" (from WARN_AT) or "full" (from FULL_AT)."""
    if window is None or window.size <= 0:
        return "ok"
    share = used / window.size
    return "full" if share >= FULL_AT else "warn" if share >= WARN_AT else "ok"


def short_count(count: int) -> str:
    """A token count in at most five characters: 950, 1.2k, 41k, 1.1M."""
    if count < 1000:
        return str(count)
    if count < 10_000:
        return f"{count / 1000:.1f}k"
    if count < 1_000_000:
        return f"{round(count / 1000)}k"
    return f"{count / 1_000_000:.1f}M"


def usage_text(used: int | None, window: Window | None) -> str | None:
    """The toolbar's figure: `ctx 1.2k/4.1k 29%`; `ctx –/4.1k` before any reply; None when
    neither is known."""
    if window is None:
        return None if used is None else f"ctx {short_count(used)}"
    if used is None:
        return f"ctx –/{short_count(window.size)}"
    share = round(100 * used / window.size) if window.size else 0
    return f"ctx {short_count(used)}/{short_count(window.size)} {share}%"


def suggested_num_ctx(needed: int, window: Window | None, model_max: int | None) -> int | None:
    """A `num_ctx` that holds `needed` tokens with room for a reply: the next power of two
    above needed × 1.25, at most the model's maximum; None when that would not be larger than
    the window now."""
    want = 1 << max(math.ceil(needed * 1.25) - 1, 1).bit_length()
    if model_max:
        want = min(want, model_max)
    current = window.size if window is not None else 0
    if want <= current or want < needed:
        return None
    return want


def is_context_error(text: str | None) -> bool:
    """Whether a server's error says the request did not fit the context (llama.cpp's
    "Requested tokens exceed context window", "the request exceeds the available context
    size", OpenAI's "maximum context length"…)."""
    return bool(text) and _CONTEXT_ERROR.search(text or "") is not None


def compact_point(messages: Sequence[Message], keep: int) -> int | None:
    """Where /compact cuts: the first message of the last `keep` turns (a turn starts at a
    question, so tool results stay with their calls); None when no older turn is left to
    summarise."""
    keep = max(keep, 1)  # the last question always stays: it may still wait for its answer
    questions = [i for i, m in enumerate(messages) if m.role == "user"]
    if len(questions) <= keep:
        return None
    return questions[-keep]
