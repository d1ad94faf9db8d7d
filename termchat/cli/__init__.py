"""The command line's entry point: read the chat options without typer when it can, then run.

A plain chat invocation (and `--version`) never imports typer, whose start-up costs about
0.2 s; `--help`, the `sessions` subcommands and every usage mistake go to the typer app,
which is generated from the same table (see `cli.options`).
"""

from __future__ import annotations

import sys

from termchat import __version__


def main() -> None:
    """Console-script entry point."""
    from termchat.cli.options import read_args

    # httpx's package imports its own command-line client when click and rich are installed
    # (they are: typer brings them), which loads click, rich.progress and pygments with every
    # chat. termchat never runs it; without it httpx defines a stand-in, and saves ~30 ms.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

    args = sys.argv[1:]
    reading = read_args(args)
    if reading.rest:  # help, a subcommand or a mistake: typer's part
        from termchat.cli.app import run_typer

        sys.exit(run_typer(args))
    sys.exit(run(reading.values()))


def run(values: dict[str, object]) -> int:
    """Run the chat command with its option values (see `Reading.values`); the exit status.

    The one place that answers `--version`. A bad option value prints one line on stderr and
    returns 2.
    """
    if values.get("version"):
        sys.stdout.write(f"termchat {__version__}\n")
        return 0
    from termchat.cli.chat import ChatOptions
    from termchat.config import load_config
    from termchat.errors import TermchatError, stderr_line

    try:
        options = ChatOptions.from_values(values)
        config = options.configure(load_config())
    except TermchatError as exc:
        sys.stderr.write(stderr_line(str(exc)))
        return 2
    from termchat.launch import run_chat

    return run_chat(config, options)


if __name__ == "__main__":
    main()
