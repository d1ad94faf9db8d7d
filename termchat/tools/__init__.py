"""Tools the model can call: registry, schema from signatures, built-ins, files, MCP, approval.

Import the submodule you need (`termchat.tools.toolbox`, `.policy`, …); nothing is gathered here,
so importing one does not load the others.
"""
