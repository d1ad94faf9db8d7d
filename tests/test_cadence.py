"""The shared frame clock: when a network read may go, and when the next frame falls."""

from __future__ import annotations

import pytest

from termchat.cadence import FRAME_SECONDS, READ_LEAD, next_frame, read_delay

F = FRAME_SECONDS
SLOT = 10 * F - READ_LEAD  # a read slot starts READ_LEAD before frame 10


@pytest.mark.parametrize(
    ("now", "last_read", "draining", "delay"),
    [
        pytest.param(SLOT + 0.010, None, False, 0.0, id="first-read-ever"),
        pytest.param(SLOT + 0.010, SLOT - 0.001, False, 0.0, id="first-read-of-a-slot"),
        pytest.param(SLOT + 0.010, SLOT + 0.005, False, F - 0.010, id="second-read-waits"),
        pytest.param(SLOT + 0.001, SLOT + 0.0005, True, 0.0, id="draining-in-lead-window"),
        pytest.param(SLOT + 0.001, SLOT + 0.0005, False, F - 0.001, id="drained-in-lead-window"),
        pytest.param(10 * F + 0.001, SLOT + 0.001, True, F - READ_LEAD - 0.001, id="after-frame"),
    ],
)
def test_read_delay(now: float, last_read: float | None, draining: bool, delay: float) -> None:
    assert read_delay(now, last_read, draining) == pytest.approx(delay)


def test_next_frame_is_strictly_later_on_the_grid() -> None:
    assert next_frame(10 * F) == pytest.approx(11 * F)
    assert next_frame(10 * F + 0.001) == pytest.approx(11 * F)
