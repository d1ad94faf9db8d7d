"""The 20 fps clock that screen frames and network reads share: reads land just before frames.

A streaming reply used to wake the event loop once per token, and every wake-up costs the
whole httpx/httpcore/anyio read path (about 0.2 ms of CPU: at 400 tokens/s that was more than
the rendering). The screen only changes at frames, so reading more often buys nothing: a
connection reads at most once per frame slot and otherwise waits until just before the next
frame, then takes everything that arrived at once. The first read in a slot goes at once, so a
short response (model info, a slow model's token) is not delayed.

Frames fall on multiples of FRAME_SECONDS of the monotonic clock; read slots start READ_LEAD
earlier, which leaves the reader time to parse what it read before the frame draws it. A plain
socket (backends/sockets.py) knows when it is empty: a later read in a slot takes what is queued
and otherwise waits for the next slot. anyio's stream (https) does not say, so `read_delay`
judges by time: in the lead window a read goes at once as long as the one before it returned
at once (anyio keeps what arrived while its last read was finishing, and what waits in the
socket must still be fetched before the frame draws); the first read that has to wait for data
ends the draining.
"""

from __future__ import annotations

import math

FRAME_SECONDS = 0.05
READ_LEAD = 0.004


def next_frame(now: float) -> float:
    """The first frame time strictly after `now`."""
    return (math.floor(now / FRAME_SECONDS) + 1) * FRAME_SECONDS


def read_slot(now: float) -> int:
    """The number of the read slot `now` falls in (slot k starts READ_LEAD before frame k+1)."""
    return math.floor((now + READ_LEAD) / FRAME_SECONDS)


def read_delay(now: float, last_read: float | None, draining: bool = False) -> float:
    """Seconds a read should wait: 0 for the first read of a slot, and in its lead window (just
    before its frame) while draining; else until the next slot.

    Args:
        now: The monotonic time of the read.
        last_read: When the previous read on the same connection returned, or None.
        draining: The previous read returned at once (data was already there).
    """
    slot = read_slot(now)
    if last_read is None or read_slot(last_read) != slot:
        return 0.0
    if draining and now < slot * FRAME_SECONDS:
        return 0.0
    return (slot + 1) * FRAME_SECONDS - READ_LEAD - now
