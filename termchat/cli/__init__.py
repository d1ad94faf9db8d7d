"""The command line: the composition root. Imports heavy modules only when they are needed."""

from __future__ import annotations

import sys

from termchat import __version__


def normalize_argv(args: list[str]) -> list[str]:
    """Give the options whose value is optional an explicit one.

    `--think` alone (or before another option) means `--think=on`; `--think WORD` sets a
    level, and parse_think rejects a word it does not know. `--resume` alone means
    "pick from a list" (`--resume=`), `--resume ID` resumes that conversation.
    """
    out: list[str] = []
    for index, arg in enumerate(args):
        following = args[index + 1] if index + 1 < len(args) else None
        if arg == "--think" and (following is None or following.startswith("-")):
            out.append("--think=on")
        elif arg in ("--resume", "-r") and (following is None or following.startswith("-")):
            out.append("--resume=")
        else:
            out.append(arg)
    return out


def main() -> None:
    """Console-script entry point. `--version` answers before typer, rich or httpx load, and
    a plain chat invocation starts without typer (see `cli.chat`)."""
    args = sys.argv[1:]
    if args in (["--version"], ["-V"]):
        sys.stdout.write(f"termchat {__version__}\n")
        return
    args = normalize_argv(args)
    from termchat.cli.chat import parse_chat_args

    flags = parse_chat_args(args)
    if flags is not None:  # the common case, without typer's start-up cost
        from termchat.cli.chat import start_chat

        sys.exit(start_chat(flags))
    from termchat.cli.app import app

    app(args=args, prog_name="termchat")


if __name__ == "__main__":
    main()
