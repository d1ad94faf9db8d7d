"""Tools the model can call: registry, schema from signatures, built-ins, files, MCP, approval.

The names below are imported on first use (PEP 562), so importing one submodule — the REPL
needs only `policy` — does not load them all.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "ApprovalAnswer": "policy",
    "ApprovalState": "policy",
    "McpManager": "mcp_bridge",
    "McpServerConfig": "mcp_bridge",
    "Policy": "policy",
    "Tool": "registry",
    "ToolRegistry": "registry",
    "ToolResult": "runner",
    "ToolRow": "toolbox",
    "builtin_tools": "builtins",
    "denied_result": "runner",
    "load_tools_file": "loader",
    "parse_mcp_servers": "mcp_bridge",
    "parse_policies": "policy",
    "run_tool_call": "runner",
    "tool_from_function": "schema",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'termchat.tools' has no attribute {name!r}")
    return getattr(importlib.import_module(f"termchat.tools.{module}"), name)
