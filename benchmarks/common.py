"""What the benchmark modules share: table rows, medians, commands, a time budget."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PYTHON = str(BIN / "python") if (BIN / "python").exists() else sys.executable
TERMCHAT = str(BIN / "termchat")
CLIENTS = str(ROOT / "benchmarks" / "clients.py")
SYNC_BEGIN = b"\x1b[?2026h"
SYNC_END = b"\x1b[?2026l"

Log = Callable[[str], None]


@dataclass
class Row:
    """One line of the result table.

    Attributes:
        case: What was measured.
        value: The median, formatted with its unit.
        goal: The goal, in words ("" when the row is context only).
        passed: True / False against the goal; None for context rows.
        detail: Runs, ratios, spread.
    """

    case: str
    value: str
    goal: str = ""
    passed: bool | None = None
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The row as plain values (for --json)."""
        return {
            "case": self.case,
            "value": self.value,
            "goal": self.goal,
            "passed": self.passed,
            "detail": self.detail,
        }


def median(values: list[float]) -> float:
    """The median (0.0 for no values)."""
    return statistics.median(values) if values else 0.0


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of `values` lie (nearest rank)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


def spread(values: list[float], unit: str = "s", scale: float = 1.0) -> str:
    """`min–max` of the runs, for the detail column."""
    if len(values) < 2:
        return "1 run"
    return f"{len(values)} runs {min(values) * scale:.2f}–{max(values) * scale:.2f} {unit}"


class Budget:
    """A deadline for the whole benchmark: cases ask it before starting optional extra runs."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds

    def left(self) -> float:
        """Seconds left."""
        return self.deadline - time.monotonic()
