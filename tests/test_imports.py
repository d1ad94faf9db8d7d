"""The architecture, checked: no import cycle, one folder per library, tools/ stays below."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "termchat"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Every module this one imports, at any depth of the file (TYPE_CHECKING blocks included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            for alias in node.names:  # `from termchat.x import y` where y is a module
                if f"{base}.{alias.name}" in known:
                    found.add(f"{base}.{alias.name}")
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(path, name, known) for name, path in modules.items()}


def _internal(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    known = set(graph)
    # A package's __init__ is not a dependency of its own submodules' import of siblings.
    return {
        name: {dep for dep in deps if dep in known and dep != name} for name, deps in graph.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for dep in sorted(graph[node]):
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in on_stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_imports_have_no_cycle() -> None:
    graph = _internal(_graph())
    # A package importing its own submodule (for re-export) is a tree edge, not a circle.
    graph = {
        name: {dep for dep in deps if not dep.startswith(name + ".")}
        for name, deps in graph.items()
    }
    assert _cycles(graph) == []


def test_cycle_finder_finds_a_circle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


OWNERS = {
    "httpx": ("termchat.backends", "termchat.tools.web"),
    "rich": ("termchat.render",),
    "prompt_toolkit": ("termchat.repl",),
    "sqlite3": ("termchat.store",),
    "typer": ("termchat.cli",),
    "click": ("termchat.cli",),
}


def _owned_by(module: str, owners: tuple[str, ...]) -> bool:
    return any(module == owner or module.startswith(owner + ".") for owner in owners)


@pytest.mark.parametrize("library", sorted(OWNERS))
def test_imports_library_only_in_its_folder(library: str) -> None:
    graph = _graph()
    users = sorted(
        name
        for name, deps in graph.items()
        if any(dep == library or dep.startswith(library + ".") for dep in deps)
    )
    strays = [name for name in users if not _owned_by(name, OWNERS[library])]
    assert strays == []


# The leaves every part may use: plain data, the error tree, settings.
LEAVES = (
    "termchat",
    "termchat.errors",
    "termchat.messages",
    "termchat.config",
    "termchat.filecheck",
    "termchat.attachments",  # the Attachment data of a Message, and the pure reading of files
    "termchat.configfile",
    "termchat.keymap",
)


def test_imports_leaves_import_no_other_part() -> None:
    graph = _internal(_graph())
    for leaf in LEAVES[1:]:
        assert graph[leaf] <= set(LEAVES), f"{leaf} imports {sorted(graph[leaf])}"


def test_imports_tools_use_nothing_above_them() -> None:
    for name, deps in _internal(_graph()).items():
        if not name.startswith("termchat.tools"):
            continue
        above = sorted(dep for dep in deps if not _owned_by(dep, ("termchat.tools",)))
        above = [dep for dep in above if dep not in LEAVES]
        assert above == [], f"{name} imports {above}"
