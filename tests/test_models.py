"""Models (issue 12, part 5): the catalog (`/models`, `termchat models`), pulling a model
(`/pull`, `termchat pull`, the `Pull NAME now?` offer) and `/info`, against the fake server."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from appdriver import drive_app
from fakeserver import FakeServer, Script
from terminal import Terminal, termchat

from termchat.app import ChatApp
from termchat.backends.base import ModelSummary, RunningModel
from termchat.catalog import (
    Catalog,
    CatalogRow,
    capabilities_text,
    catalog_table,
    loaded_text,
    size_text,
)
from termchat.commands import run_command
from termchat.config import Config
from termchat.frontend import PlainFrontend


class Asked(PlainFrontend):
    """A user at a prompt who answers `Pull NAME now?` with `yes` (and remembers the names)."""

    def __init__(self, yes: bool) -> None:
        super().__init__()
        self.yes = yes
        self.asked: list[str] = []

    async def confirm_pull(self, model: str) -> bool:
        self.asked.append(model)
        return self.yes


def in_app(
    server: FakeServer,
    tmp_path: Path,
    script: Callable[[ChatApp], Awaitable[None]],
    *,
    frontend: PlainFrontend | None = None,
    interactive: bool = True,
    **config: Any,
) -> str:
    """Run `script` with a ChatApp built as launch.py builds it; what it printed, folded."""
    out = io.StringIO()
    settings = {"model": "qwen3", "host": server.url, "host_given": True, **config}
    cfg = Config(home=tmp_path, **settings)
    drive_app(cfg, script, out, width=120, frontend=frontend, interactive=interactive)
    return out.getvalue()


def table_rows(printed: str) -> dict[str, list[str]]:
    """The rows of a printed table by model name (cells split on runs of 2+ spaces)."""
    rows = {}
    for line in printed.splitlines():
        cells = [c for c in re.split(r"\s{2,}", line.strip()) if c]
        for index, cell in enumerate(cells[:2]):
            if re.fullmatch(r"[\w.-]+:[\w.-]+", cell):
                rows[cell] = cells[index:]
    return rows


def header(printed: str) -> list[str]:
    line = next(line for line in printed.splitlines() if re.search(r"\bname\b", line))
    return re.split(r"\s{2,}", line.strip())


# --- the catalog, pure --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        pytest.param(None, "", id="unknown"),
        pytest.param(4_920_000_000, "4.9 GB", id="gb"),
        pytest.param(638_000_000, "638 MB", id="mb"),
        pytest.param(11_338, "11.3 kB", id="kb"),
        pytest.param(487, "487 B", id="bytes"),
    ],
)
def test_size_text_as_ollama_list_shows_it(size: int | None, shown: str) -> None:
    assert size_text(size) == shown


def test_capabilities_text_has_a_fixed_order_and_leaves_out_completion() -> None:
    caps = frozenset({"completion", "vision", "thinking", "tools", "audio"})
    assert capabilities_text(caps) == "tools, thinking, vision, audio"
    assert capabilities_text(frozenset({"embedding"})) == "embedding"
    assert capabilities_text(None) == ""


def test_loaded_text_says_where_and_until_when() -> None:
    soon = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    forever = (datetime.now(UTC) + timedelta(days=365 * 300)).isoformat()
    on_gpu = RunningModel("a", size=100, size_vram=100, expires_at=soon)
    split = RunningModel("a", size=100, size_vram=48, expires_at=soon)
    assert re.fullmatch(r"yes, until \d\d:\d\d", loaded_text(on_gpu, True))
    assert re.fullmatch(r"yes, 48% GPU, until \d\d:\d\d", loaded_text(split, True))
    assert loaded_text(RunningModel("a", size=100, size_vram=0), True) == "yes, CPU"
    assert loaded_text(RunningModel("a", expires_at=forever), True) == "yes, kept loaded"
    assert loaded_text(None, True) == "no"
    assert loaded_text(None, False) == ""


def test_catalog_table_leaves_out_columns_no_row_fills() -> None:
    rows = [
        CatalogRow(ModelSummary("a:1", owner="me")),
        CatalogRow(ModelSummary("b:1", context_length=8192)),
    ]
    columns, cells = catalog_table(Catalog(rows))
    assert columns == ["name", "context", "owner"]
    assert cells == [["a:1", "", "me"], ["b:1", "8,192", ""]]
    columns, _ = catalog_table(Catalog([CatalogRow(ModelSummary("a:1"))]))
    assert columns == ["name"]  # a bare list is a bare list


# --- /models ------------------------------------------------------------------------------


def test_models_shows_every_column_and_which_model_is_loaded(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.add_model("tiny", ["completion"], family="tinyllama", size=638_000_000)

    before: list[int] = []

    async def script(app: ChatApp) -> None:
        await app.send("hello")  # loads qwen3
        before.append(len(fake_server.requests))  # (the context window asked /api/ps too)
        await run_command(app, "/models")

    printed = in_app(fake_server, tmp_path, script)
    assert header(printed) == [
        "name",
        "size",
        "family",
        "params",
        "quant",
        "capabilities",
        "loaded",
    ]
    rows = table_rows(printed)
    assert re.search(r"^\s*●\s+qwen3:latest\s", printed, re.M)  # the chat's model
    assert rows["qwen3:latest"][:6] == [
        "qwen3:latest",
        "1.0 GB",
        "qwen3",
        "8.2B",
        "Q4_K_M",
        "tools, thinking",
    ]
    assert re.fullmatch(r"yes, until \d\d:\d\d", rows["qwen3:latest"][6])
    assert rows["gemma3:latest"] == [
        "gemma3:latest",
        "1.0 GB",
        "gemma3",
        "4.3B",
        "Q4_K_M",
        "vision",
        "no",
    ]
    assert rows["tiny:latest"][1:3] == ["638 MB", "tinyllama"]
    assert "phi4-mini:latest" not in rows  # not pulled
    assert [r.path for r in fake_server.requests[before[0] :]].count("/api/ps") == 1


def test_models_asks_each_model_its_capabilities_when_the_list_lacks_them(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    rows = [
        {"name": n, "model": n, "size": 2_000_000_000, "details": {"family": "llama"}}
        for n in ("qwen3:latest", "gemma3:latest")
    ]
    fake_server.override("/api/tags", Script(body={"models": rows}))  # an older Ollama

    async def script(app: ChatApp) -> None:
        await run_command(app, "/models")

    printed = in_app(fake_server, tmp_path, script)
    shown = table_rows(printed)
    assert "tools, thinking" in shown["qwen3:latest"]
    assert "vision" in shown["gemma3:latest"]
    asked = [r.body["model"] for r in fake_server.requests if r.path == "/api/show"]
    assert sorted(asked) == ["gemma3:latest", "qwen3:latest"]


def test_models_without_api_ps_leaves_out_loaded_and_says_why(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.override("/api/ps", Script(status=500, body={"error": "ps broke"}))

    async def script(app: ChatApp) -> None:
        await run_command(app, "/models")

    printed = in_app(fake_server, tmp_path, script)
    assert "loaded" not in header(printed)
    assert "Which models are loaded is not known" in " ".join(printed.split())
    assert "ps broke" in printed


@pytest.mark.parametrize(
    ("rows", "columns", "first"),
    [
        pytest.param(
            [{"id": "qwen3"}, {"id": "llama3.2"}],
            ["", "name"],
            ["●", "qwen3"],
            id="ids-only",
        ),
        pytest.param(
            [
                {
                    "id": "Qwen/Qwen3-8B",
                    "object": "model",
                    "created": 1748736000,
                    "owned_by": "vllm",
                    "max_model_len": 40960,
                }
            ],
            ["name", "context", "owner", "created"],
            ["Qwen/Qwen3-8B", "40,960", "vllm", "2025-06-01"],
            id="vllm",
        ),
        pytest.param(
            [
                {
                    "id": "qwen3-8b.gguf",
                    "owned_by": "llamacpp",
                    "meta": {
                        "n_params": 8_190_000_000,
                        "size": 5_030_000_000,
                        "n_ctx_train": 40960,
                    },
                }
            ],
            ["name", "size", "params", "context", "owner"],
            ["qwen3-8b.gguf", "5.0 GB", "8.2B", "40,960", "llamacpp"],
            id="llama.cpp",
        ),
    ],
)
def test_models_on_openai_shows_what_models_gives_without_empty_columns(
    fake_server: FakeServer,
    tmp_path: Path,
    rows: list[dict[str, Any]],
    columns: list[str],
    first: list[str],
) -> None:
    fake_server.override("/v1/models", Script(body={"object": "list", "data": rows}))

    async def script(app: ChatApp) -> None:
        await run_command(app, "/models")

    printed = in_app(fake_server, tmp_path, script, backend="openai", host=fake_server.openai_url)
    lines = printed.splitlines()
    at = next(i for i, line in enumerate(lines) if re.search(r"\bname\b", line))
    assert re.split(r"\s{2,}", lines[at].strip()) == [c for c in columns if c]
    assert re.split(r"\s{2,}", lines[at + 2].strip()) == first
    assert "/api/" not in " ".join(r.path for r in fake_server.requests)


def test_models_json_and_table_from_the_command_line(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    listed = termchat("--host", fake_server.url, "models", "--json", home=tmp_path)
    assert listed.returncode == 0, listed.stderr
    models = json.loads(listed.stdout)
    qwen = next(m for m in models if m["name"] == "qwen3:latest")
    assert qwen["family"] == "qwen3" and qwen["parameter_size"] == "8.2B"
    assert qwen["capabilities"] == ["completion", "thinking", "tools"]
    assert qwen["loaded"] is False and qwen["size"] > 0
    table = termchat("models", "--host", fake_server.url, home=tmp_path)
    assert table.returncode == 0, table.stderr
    assert header(table.stdout)[:3] == ["name", "size", "family"]
    assert "llama3.2:latest" in table_rows(table.stdout)
    down = termchat("models", "--host", "http://127.0.0.1:9", home=tmp_path)
    assert down.returncode == 1
    assert down.stderr.startswith("termchat: error: ") and "Traceback" not in down.stderr


# --- pulling ------------------------------------------------------------------------------


def test_pull_from_the_command_line_exit_codes(fake_server: FakeServer, tmp_path: Path) -> None:
    pulled = termchat("pull", "phi4-mini", "--host", fake_server.url, home=tmp_path)
    assert pulled.returncode == 0, pulled.stderr
    assert fake_server.installed("phi4-mini") is not None
    printed = pulled.stdout + pulled.stderr
    for step in ("pulling manifest", "verifying sha256 digest", "writing manifest"):
        assert step in printed
    assert "Pulled phi4-mini." in printed

    unknown = termchat("--host", fake_server.url, "pull", "no-such-model", home=tmp_path)
    assert unknown.returncode == 1
    (line,) = unknown.stderr.strip().splitlines()[-1:]
    assert line == (
        "termchat: error: no-such-model is not in the Ollama registry (pull model manifest: "
        "file does not exist): check the name and tag at https://ollama.com/library"
    )

    fake_server.add_model("mistral", installed=False)
    fake_server.pull_failure = (4, "max retries exceeded: unexpected EOF")
    broken = termchat("--host", fake_server.url, "pull", "mistral", home=tmp_path)
    assert broken.returncode == 1
    assert broken.stderr.strip().endswith(
        "termchat: error: The download of mistral failed: max retries exceeded: unexpected EOF"
    )
    assert fake_server.installed("mistral") is None

    openai = termchat("--backend", "openai", "pull", "x", home=tmp_path)
    assert openai.returncode == 1 and "cannot download models" in openai.stderr


def test_pull_from_the_command_line_ctrl_c_cancels_with_130(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.pull_delay = 0.3
    term = Terminal(["pull", "phi4-mini", "--host", fake_server.url], home=tmp_path)
    try:
        term.wait_for(lambda: "━" in term.display() and "GB" in term.display())
        term.key("ctrl-c")
        assert term.wait_exit() == 130
        assert "pull cancelled" in term.transcript()
        assert "Traceback" not in term.transcript()
    finally:
        term.close()
    assert fake_server.wait_for_disconnect(5)
    assert fake_server.installed("phi4-mini") is None


def test_model_missing_in_a_run_without_prompt_is_not_pulled(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    ran = termchat("--host", fake_server.url, "-m", "phi4-mini", "-p", "hi", home=tmp_path)
    assert ran.returncode == 1
    assert "Pull it with: termchat pull phi4-mini" in ran.stderr
    assert "/api/pull" not in [r.path for r in fake_server.requests]


@pytest.mark.parametrize("yes", [True, False])
def test_model_command_offers_to_pull_a_missing_model(
    fake_server: FakeServer, tmp_path: Path, yes: bool
) -> None:
    user = Asked(yes)

    async def script(app: ChatApp) -> None:
        await run_command(app, "/model phi4-mini")
        if yes:
            assert app.conversation.model == "phi4-mini"
            await app.send("hello")
        else:
            assert app.conversation.model == "qwen3"

    printed = " ".join(in_app(fake_server, tmp_path, script, frontend=user).split())
    assert user.asked == ["phi4-mini"]
    assert "phi4-mini is not on the server." in printed
    if yes:
        assert "Pulled phi4-mini." in printed and "Model: phi4-mini" in printed
        assert fake_server.last_chat()["model"] == "phi4-mini"
    else:
        assert "Not pulled. /pull phi4-mini downloads it" in printed
        assert "not found" not in printed  # the "no" is the whole answer
        assert "/api/pull" not in [r.path for r in fake_server.requests]


def test_first_message_to_a_missing_model_pulls_it_then_is_sent(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    user = Asked(True)

    async def script(app: ChatApp) -> None:
        await app.send("hello there")

    printed = in_app(fake_server, tmp_path, script, frontend=user, model="phi4-mini")
    assert user.asked == ["phi4-mini"]
    assert "Pulled phi4-mini." in printed
    assert fake_server.last_chat()["messages"][-1]["content"] == "hello there"


def test_pull_unknown_model_in_the_chat_is_one_sentence(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    user = Asked(True)

    async def script(app: ChatApp) -> None:
        await run_command(app, "/model nosuchmodel")
        assert app.conversation.model == "qwen3"

    printed = " ".join(in_app(fake_server, tmp_path, script, frontend=user).split())
    assert (
        "nosuchmodel is not in the Ollama registry (pull model manifest: file does not" in printed
    )
    assert "Pull it with" not in printed  # said once, not followed by the old hint
    assert "Traceback" not in printed


def test_info_describes_the_model_and_the_options(fake_server: FakeServer, tmp_path: Path) -> None:
    async def script(app: ChatApp) -> None:
        await run_command(app, "/set temperature 0.2")
        await run_command(app, "/show info")

    printed = in_app(fake_server, tmp_path, script)
    for label, value in (
        ("family", "qwen3"),
        ("parameters", "8.2B"),
        ("quantization", "Q4_K_M"),
        ("context length", "40,960"),
        ("capabilities", "completion, thinking, tools"),
        ("temperature", "0.2"),
    ):
        assert re.search(rf"{label}\s+{re.escape(value)}", printed), label


@pytest.mark.parametrize("command", ["models", "pull"])
def test_models_and_pull_help_names_arguments_not_python_types(
    tmp_path: Path, command: str
) -> None:
    shown = termchat(command, "--help", home=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "--host URL" in shown.stdout
    assert not re.search(r"<\w[^>]*>|\b(str|int|bool)\b|[{}]", shown.stdout)


def test_models_bad_backend_is_one_line_exit_2(tmp_path: Path) -> None:
    wrong = termchat("models", "--backend", "nope", home=tmp_path)
    assert wrong.returncode == 2
    assert wrong.stderr == "termchat: error: --backend must be ollama or openai, not 'nope'\n"


def test_pull_error_with_control_sequences_is_one_clean_line(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.pull_failure = (1, "bad \x1b]52;c;ZXZpbA==\x07 news\x1b[2J\nsecond line")
    ran = termchat("--host", fake_server.url, "pull", "phi4-mini", home=tmp_path)
    assert ran.returncode == 1
    assert "\x1b" not in ran.stderr and "\x07" not in ran.stderr
    assert (
        ran.stderr.strip()
        .splitlines()[-1]
        .startswith("termchat: error: The download of phi4-mini failed: bad")
    )
    assert ran.stderr.strip().splitlines()[-1].endswith("second line")
