"""Reference chat clients the benchmark compares termchat with, each run as its own process.

`python benchmarks/clients.py MODE URL PROMPT`, MODE one of:

- raw: write each content piece as it arrives (the floor: no rendering at all);
- once: stream the answer, then render it once with rich's Markdown (the rendering floor);
- naive: `Live(Markdown(text))`, as most rich-based chat clients do: a new Markdown of the
  whole answer on every token (parsed again each time), the whole of it rendered again on
  every refresh of Live (4 a second; `vertical_overflow="visible"` so long answers scroll).
  Quadratic: the longer the answer, the more each token costs.

Each reads Ollama's NDJSON with the standard library only, so the floors carry no client cost
beyond reading the socket and parsing JSON.
"""

from __future__ import annotations

import http.client
import json
import sys
from collections.abc import Iterator
from urllib.parse import urlsplit


def stream(url: str, prompt: str) -> Iterator[str]:
    """The content pieces of one /api/chat reply, as they arrive."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
    body = {
        "model": "qwen3",
        "messages": [{"role": "user", "content": prompt}],
        "stream": True,
        "think": False,
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
        for line in lines:
            if not line:
                continue
            chunk = json.loads(line)
            content = chunk.get("message", {}).get("content")
            if content:
                yield content
            if chunk.get("done"):
                return


def raw(url: str, prompt: str) -> None:
    """Write the pieces as they come."""
    out = sys.stdout
    for piece in stream(url, prompt):
        out.write(piece)
        out.flush()
    out.write("\n")


def once(url: str, prompt: str) -> None:
    """Collect the answer, then render it once."""
    text = "".join(stream(url, prompt))
    from rich.console import Console
    from rich.markdown import Markdown

    Console().print(Markdown(text))


def naive(url: str, prompt: str) -> None:
    """A new Markdown of the whole answer per token; Live redraws all of it."""
    from rich.console import Console
    from rich.live import Live
    from rich.markdown import Markdown

    text = ""
    with Live(console=Console(), vertical_overflow="visible") as live:
        for piece in stream(url, prompt):
            text += piece
            live.update(Markdown(text))


def main() -> int:
    """Command line entry."""
    mode, url, prompt = sys.argv[1:4]
    {"raw": raw, "once": once, "naive": naive}[mode](url, prompt)
    return 0


if __name__ == "__main__":
    sys.exit(main())
