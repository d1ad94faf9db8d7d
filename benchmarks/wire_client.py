"""Reads one streamed answer through termchat's own network path and says how fast it went.

`python benchmarks/wire_client.py URL QUESTION` streams the answer with termchat's Ollama
backend (httpx, anyio, the frame-paced reads, NDJSON decoding) into a `Reply`, draws nothing,
and prints one JSON line: chunks, wall seconds from the request to the last event, and the
process's CPU seconds in that time. It is what a user pays per chunk before any rendering.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time

from termchat.accumulator import Reply
from termchat.backends.base import ChatRequest
from termchat.backends.ollama import OllamaBackend
from termchat.messages import ContentDelta, Message


async def read(url: str, question: str) -> dict[str, float]:
    """Stream the answer to `question`; its figures."""
    backend = OllamaBackend(url)
    request = ChatRequest(
        model="qwen3", messages=[Message(role="user", content=question)], think=False
    )
    reply = Reply("qwen3")
    chunks = 0
    try:
        began, cpu = time.monotonic(), time.process_time()
        async with contextlib.aclosing(backend.chat(request)) as events:
            async for event in events:
                chunks += isinstance(event, ContentDelta)
                reply.feed(event)
        wall, cpu = time.monotonic() - began, time.process_time() - cpu
    finally:
        await backend.aclose()
    if not reply.done:
        raise RuntimeError("the answer did not end")
    return {"chunks": chunks, "wall": wall, "cpu": cpu}


def main() -> int:
    """Command line entry."""
    print(json.dumps(asyncio.run(read(sys.argv[1], sys.argv[2]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
