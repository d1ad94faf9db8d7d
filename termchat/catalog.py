"""The server's models as a catalog (`termchat models`, `/models`): gathered, tabled, as JSON.

On Ollama a row joins `/api/tags` (name, size, details), `/api/ps` (loaded or not) and, for
servers whose list does not carry capabilities, `/api/show` of each model. On an
OpenAI-compatible server a row is what its `/models` says. The table leaves out every column
no row has a value for, so a plain `/models` list does not show a grid of blanks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from termchat.backends.base import same_model
from termchat.errors import BackendError
from termchat.render.sanitize import name_text

if TYPE_CHECKING:
    from termchat.backends.base import Backend, ModelSummary, RunningModel

SHOW_AT_ONCE = 4  # /api/show requests in flight while capabilities are filled in
SHOW_AT_MOST = 64  # models asked about one by one; a longer list goes without capabilities
CAPABILITY_ORDER = ("tools", "thinking", "vision", "insert", "embedding", "completion")
HIDDEN_CAPABILITIES = frozenset({"completion"})  # every chat model has it: noise in a table


@dataclass(frozen=True)
class CatalogRow:
    """One model as the catalog shows it.

    Attributes:
        loaded: Its /api/ps row when it is in memory; None when it is not (or not known).
        current: It is the chat's model.
    """

    summary: ModelSummary
    loaded: RunningModel | None = None
    current: bool = False


@dataclass(frozen=True)
class Catalog:
    """The models of one server.

    Attributes:
        rows: One per model, in the server's order.
        knows_loaded: The server said which models are loaded (Ollama's /api/ps answered).
        problems: What could not be found out (each one sentence), e.g. /api/ps failing.
    """

    rows: list[CatalogRow]
    knows_loaded: bool = False
    problems: tuple[str, ...] = ()


async def gather_catalog(backend: Backend, *, ollama: bool, current: str | None = None) -> Catalog:
    """Ask the server for its models (and, on Ollama, which are loaded and what each can do).

    Raises:
        BackendError: The list of models itself could not be had.
    """
    summaries = await backend.list_models()
    if not ollama:
        rows = [CatalogRow(s, current=same_model(s.name, current)) for s in summaries]
        return Catalog(rows)
    problems: list[str] = []
    running: list[RunningModel] | None = None
    ask_running = getattr(backend, "running", None)
    if ask_running is not None:
        try:
            running = await ask_running()
        except BackendError as exc:
            problems.append(f"Which models are loaded is not known ({exc}).")
    summaries = await _with_capabilities(backend, summaries)
    rows = []
    for summary in summaries:
        loaded = next((r for r in running or () if same_model(r.name, summary.name)), None)
        rows.append(CatalogRow(summary, loaded, same_model(summary.name, current)))
    return Catalog(rows, knows_loaded=running is not None, problems=tuple(problems))


async def _with_capabilities(backend: Backend, summaries: list[ModelSummary]) -> list[ModelSummary]:
    """The summaries, each with its capabilities from /api/show where the list lacked them."""
    missing = [s for s in summaries if s.capabilities is None][:SHOW_AT_MOST]
    if not missing:
        return summaries
    gate = asyncio.Semaphore(SHOW_AT_ONCE)

    async def fill(summary: ModelSummary) -> ModelSummary:
        async with gate:
            try:
                info = await backend.show(summary.name)
            except BackendError:
                return summary  # that model stays without capabilities
        return replace(
            summary,
            capabilities=info.capabilities,
            family=summary.family or info.family,
            parameter_size=summary.parameter_size or info.parameter_size,
            quantization=summary.quantization or info.quantization,
        )

    filled = {s.name: s for s in await asyncio.gather(*(fill(s) for s in missing))}
    return [filled.get(s.name, s) for s in summaries]


def size_text(size: int | None) -> str:
    """Bytes as `ollama list` shows them: `4.9 GB`, `638 MB`."""
    if not size:
        return ""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            value = size / scale
            return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"
    return f"{size} B"


def capabilities_text(capabilities: frozenset[str] | None) -> str:
    """The capabilities worth a column, in a fixed order (`tools, thinking, vision`)."""
    if not capabilities:
        return ""
    shown = capabilities - HIDDEN_CAPABILITIES
    known = [c for c in CAPABILITY_ORDER if c in shown]
    return ", ".join(known + sorted(shown - set(known)))


def loaded_text(loaded: RunningModel | None, knows_loaded: bool) -> str:
    """`yes, until 14:05` for a loaded model (`yes, 48% GPU, …` when part of it is in main
    memory, `yes, CPU, …` when all of it is), `no` for one that is not."""
    if loaded is None:
        return "no" if knows_loaded else ""
    parts = ["yes"]
    if loaded.size and loaded.size_vram is not None and loaded.size_vram < loaded.size:
        gpu = round(100 * loaded.size_vram / loaded.size)
        parts.append(f"{gpu}% GPU" if gpu else "CPU")
    if loaded.expires_at:
        until = datetime.fromisoformat(loaded.expires_at).astimezone()
        left = until - datetime.now(until.tzinfo)
        if left > timedelta(days=365):  # keep_alive -1: Ollama says a date centuries away
            parts.append("kept loaded")
        else:
            parts.append(
                f"until {until:%H:%M}" if left < timedelta(days=1) else f"until {until:%Y-%m-%d}"
            )
    return ", ".join(parts)


def _date(stamp: str | None) -> str:
    return stamp[:10] if stamp else ""


COLUMNS: tuple[str, ...] = (
    "",
    "name",
    "size",
    "family",
    "params",
    "quant",
    "context",
    "capabilities",
    "owner",
    "created",
    "loaded",
)


def _cells(row: CatalogRow, knows_loaded: bool) -> tuple[str, ...]:
    s = row.summary
    return (
        "●" if row.current else "",
        name_text(s.name),  # invisible characters shown: no name passes for another
        size_text(s.size),
        s.family or "",
        s.parameter_size or "",
        s.quantization or "",
        f"{s.context_length:,}" if s.context_length else "",
        capabilities_text(s.capabilities),
        s.owner or "",
        _date(s.created),
        loaded_text(row.loaded, knows_loaded),
    )


def catalog_table(catalog: Catalog) -> tuple[list[str], list[list[str]]]:
    """The header and rows of the catalog's table, without a column that is empty in every row
    (the name column always stays); the names as `name_text` shows them."""
    cells = [_cells(row, catalog.knows_loaded) for row in catalog.rows]
    keep = [
        index
        for index, column in enumerate(COLUMNS)
        if column == "name" or any(row[index] for row in cells)
    ]
    return [COLUMNS[i] for i in keep], [[row[i] for i in keep] for row in cells]


def catalog_json(catalog: Catalog) -> list[dict[str, Any]]:
    """Each model as a JSON object: what the server said, None for what it did not."""
    out = []
    for row in catalog.rows:
        s, loaded = row.summary, row.loaded
        caps: Sequence[str] | None = None
        if s.capabilities is not None:
            caps = sorted(s.capabilities)
        out.append(
            {
                "name": s.name,
                "size": s.size,
                "family": s.family,
                "parameter_size": s.parameter_size,
                "quantization": s.quantization,
                "context_length": s.context_length,
                "capabilities": caps,
                "owned_by": s.owner,
                "created": s.created,
                "modified_at": s.modified_at,
                "loaded": (loaded is not None) if catalog.knows_loaded else None,
                "size_vram": loaded.size_vram if loaded else None,
                "expires_at": loaded.expires_at if loaded else None,
            }
        )
    return out
