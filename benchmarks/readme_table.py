"""Prints the Markdown table for README "Performance" from one run's `run.py --json` file.

python benchmarks/run.py --json result.json
python benchmarks/readme_table.py result.json
"""

from __future__ import annotations

import json
import sys


def cell(text: str) -> str:
    """Text that cannot break a Markdown table row."""
    return text.replace("|", "\\|").replace("\n", " ")


def table(report: dict[str, object]) -> str:
    """The header lines (machine, load) and the table."""
    loads = report.get("loads") or []
    lines = [f"Machine: {report['machine']}."]
    if isinstance(loads, list) and len(loads) == 2:
        start, end = (", ".join(f"{x:.2f}" for x in load) for load in loads)
        lines.append(f"Load average (1, 5, 15 min): {start} at the start, {end} at the end.")
    lines += ["", "| case | figure | goal | met | detail |", "|---|---|---|---|---|"]
    rows = report["rows"]
    assert isinstance(rows, list)
    for row in rows:
        met = {True: "yes", False: "**missed**", None: ""}[row["passed"]]
        parts = (row["case"], row["value"], row["goal"], met, row["detail"])
        lines.append("| " + " | ".join(cell(str(part)) for part in parts) + " |")
    return "\n".join(lines)


def main() -> int:
    """Command line entry."""
    with open(sys.argv[1], encoding="utf-8") as file:
        print(table(json.load(file)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
