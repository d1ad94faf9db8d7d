"""Reference chat clients the benchmark compares termchat with, each run as its own process.

`python benchmarks/clients.py MODE URL PROMPT [THINK]`, THINK one of `off` (the default: the
request says `"think": false`), `shown` or `hidden` (reasoning asked for; drawn at the end only
when shown). MODE one of:

- floor: the one-process yardstick. It writes the text of each read of the socket as it comes
  (one write per read, reasoning and answer alike), then renders the whole answer once with
  rich's Markdown (and the reasoning once, as plain text, when shown). A client cannot show a
  streamed answer, formatted, for less: one start-up, one JSON parse per chunk, one render;
- raw: write each piece as it arrives, flushed one by one (no rendering at all);
- once: stream the answer unseen, then render it once with rich's Markdown;
- naive: `Live(Markdown(text))`, as most rich-based chat clients do: a new Markdown of the
  whole answer on every piece (parsed again each time), the whole of it rendered again on
  every refresh of Live (4 a second; `vertical_overflow="visible"` so long answers scroll).
  Quadratic: the longer the answer, the more each piece costs;
- prompt: no request at all — the least a prompt_toolkit REPL does before it can be typed in:
  a prompt with a one-line bottom toolbar (it reads `thinking:` like termchat's), on asyncio,
  until Ctrl-D. The floor of "REPL ready".

Each reads Ollama's NDJSON with the standard library only, so the yardsticks carry no client
cost beyond reading the socket and parsing JSON.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import sys
from collections.abc import Iterator
from urllib.parse import urlsplit

Pieces = list[tuple[str, str]]  # (thinking, content) of the chunks of one read


def reads(url: str, prompt: str, think: str) -> Iterator[Pieces]:
    """The pieces of one /api/chat reply, one list per read of the socket."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
    body = {
        "model": "qwen3",
        "messages": [{"role": "user", "content": prompt}],
        "stream": True,
        "think": think != "off",
    }
    connection.request("POST", "/api/chat", json.dumps(body), {"Content-Type": "application/json"})
    response = connection.getresponse()
    pending = b""
    while True:
        data = response.read1(65536)
        if not data:
            return
        lines = (pending + data).split(b"\n")
        pending = lines.pop()
        batch: Pieces = []
        done = False
        for line in lines:
            if not line:
                continue
            chunk = json.loads(line)
            message = chunk.get("message") or {}
            batch.append((message.get("thinking") or "", message.get("content") or ""))
            done = done or bool(chunk.get("done"))
        yield batch
        if done:
            return


def floor(url: str, prompt: str, think: str) -> None:
    """Write each read's text at once; then render the answer once."""
    out = sys.stdout
    thinking: list[str] = []
    content: list[str] = []
    for batch in reads(url, prompt, think):
        text = "".join(t + c for t, c in batch)
        if text:
            out.write(text)
            out.flush()
        thinking += (t for t, _ in batch)
        content += (c for _, c in batch)
    out.write("\n")
    from rich.console import Console
    from rich.markdown import Markdown
    from rich.text import Text

    console = Console()
    if think == "shown":
        console.print(Text("".join(thinking), style="italic"))
    console.print(Markdown("".join(content)))


def raw(url: str, prompt: str, think: str) -> None:
    """Write the pieces as they come, one flush each."""
    out = sys.stdout
    for batch in reads(url, prompt, think):
        for thinking, content in batch:
            if thinking or content:
                out.write(thinking + content)
                out.flush()
    out.write("\n")


def once(url: str, prompt: str, think: str) -> None:
    """Collect the answer, then render it once."""
    text = "".join(c for batch in reads(url, prompt, think) for _, c in batch)
    from rich.console import Console
    from rich.markdown import Markdown

    Console().print(Markdown(text))


def naive(url: str, prompt: str, think: str) -> None:
    """A new Markdown of the whole answer per piece; Live redraws all of it."""
    from rich.console import Console
    from rich.live import Live
    from rich.markdown import Markdown

    text = ""
    with Live(console=Console(), vertical_overflow="visible") as live:
        for batch in reads(url, prompt, think):
            for _, content in batch:
                if content:
                    text += content
                    live.update(Markdown(text))


def prompt_only(url: str, prompt: str, think: str) -> None:
    """A prompt with a bottom toolbar, until Ctrl-D (no server, no rich)."""
    import asyncio

    from prompt_toolkit import PromptSession

    async def ask() -> None:
        session: PromptSession[str] = PromptSession(bottom_toolbar=" qwen3 │ thinking: auto")
        with contextlib.suppress(EOFError):  # Ctrl-D
            await session.prompt_async("> ")

    asyncio.run(ask())


def main() -> int:
    """Command line entry."""
    mode, url, prompt = sys.argv[1:4]
    think = sys.argv[4] if len(sys.argv) > 4 else "off"
    modes = {"floor": floor, "raw": raw, "once": once, "naive": naive, "prompt": prompt_only}
    modes[mode](url, prompt, think)
    return 0


if __name__ == "__main__":
    sys.exit(main())
