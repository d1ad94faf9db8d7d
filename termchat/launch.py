"""Starting a chat: pick the mode (REPL, one-shot, pipe, JSON) and wire its parts together."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import os
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from termchat.app import ChatApp
from termchat.backends.host import (
    OPENAI_DEFAULT,
    parse_base_url,
    parse_ollama_host,
    plain_http_key_warning,
)
from termchat.backends.lazy import LazyBackend
from termchat.config import Config
from termchat.errors import ConfigError, StoreError, TermchatError, stderr_line
from termchat.filecheck import history_file_problem
from termchat.frontend import Frontend, LiveView, PlainFrontend, Screen
from termchat.keymap import effective_keys, short_label
from termchat.oneshot import ask_with_stdin, one_shot
from termchat.session import session_for

if TYPE_CHECKING:
    from termchat.backends.base import Backend
    from termchat.cli.chat import ChatOptions
    from termchat.render import Renderer
    from termchat.tools.toolbox import Toolbox

PICK_GRACE = 1.0  # seconds the REPL waits for the model list before its prompt
OUTPUT_GONE = (errno.EPIPE, errno.EIO)  # a pipe's reader closed; the terminal went away


def make_backend(config: Config, *, verbose: bool = False) -> Backend:
    """The backend the config asks for (the only place that picks one).

    It is built on first use (see LazyBackend): httpx is then imported in the background,
    after the prompt is drawn. `verbose`: its errors carry their raw detail.
    """
    if config.backend == "openai":
        base = parse_base_url(config.server_host() or OPENAI_DEFAULT)

        def openai() -> Backend:
            from termchat.backends.openai import OpenAIBackend

            return OpenAIBackend(
                base, api_key=config.server_api_key(), verbose=verbose, headers=config.headers
            )

        return LazyBackend(base, openai)
    host = parse_ollama_host(config.server_host())

    def ollama() -> Backend:
        from termchat.backends.ollama import OllamaBackend

        return OllamaBackend(
            host, api_key=config.server_api_key(), verbose=verbose, headers=config.headers
        )

    return LazyBackend(host, ollama)


def run_chat(config: Config, options: ChatOptions) -> int:
    """Run the chat the flags ask for; returns the exit status."""
    interactive = options.prompt is None and sys.stdin.isatty() and sys.stdout.isatty()
    question = None
    if not interactive:
        try:
            question = ask_with_stdin(options.prompt)
        except ConfigError as exc:
            sys.stderr.write(stderr_line(str(exc)))
            return exc.exit_code
    try:
        if not interactive:
            return asyncio.run(_main(config, options, interactive, question))
        from termchat.repl.typeahead import held_keys  # termios only: no prompt_toolkit yet

        with held_keys(sys.stdin.fileno()):
            return asyncio.run(_main(config, options, interactive, question))
    except KeyboardInterrupt:
        return 130


async def _main(
    config: Config, options: ChatOptions, interactive: bool, question: str | None
) -> int:
    from termchat.render import Renderer
    from termchat.themes import load_theme, user_theme_dir

    tty_out = sys.stdout.isatty()
    try:
        theme = load_theme(config.theme or _theme_for_terminal(interactive), [user_theme_dir()])
        key = short_label(effective_keys(config.keys, config.edit_mode)["toggle_thinking"][0])
        rich = (
            Renderer(theme=theme, toggle_key=key)
            if tty_out
            else Renderer(file=sys.stderr, theme=theme)
        )
    except TermchatError as exc:
        sys.stderr.write(stderr_line(str(exc)))
        return exc.exit_code
    renderer: Screen = rich
    if not interactive:
        from termchat.render.plain import OneLineMessages

        renderer = OneLineMessages(rich, json_events=options.json)
    for warning in config.warnings:
        renderer.warning(warning)
    try:
        backend = make_backend(config, verbose=options.verbose)
    except TermchatError as exc:  # a server address that cannot be one
        renderer.error(str(exc))
        return exc.exit_code
    key_warning = plain_http_key_warning(backend.host, config.server_api_key())
    if key_warning:
        renderer.warning(key_warning)
    session = session_for(config, renderer.warning, interactive=interactive)
    if session.saving:
        session.store()  # open it now, so a database that cannot be used is said at once
    try:
        tools = await _start_tools(config, options, renderer, interactive)
    except TermchatError as exc:
        renderer.error(str(exc))
        await backend.aclose()
        session.close()
        return 2
    live_factory = None
    if not tty_out or options.json:
        live_factory = _pipe_live_factory(options)
    repl_frontend = None
    frontend: Frontend = PlainFrontend(assume_yes=options.yes)
    if interactive:
        from termchat.repl.frontend import ReplFrontend

        frontend = repl_frontend = ReplFrontend()
    app = ChatApp(
        config,
        backend,
        renderer,
        session,
        frontend=frontend,
        tools=tools,
        live_factory=live_factory,
        interactive=interactive,
    )
    code = 0
    warming: asyncio.Task[None] | None = None
    listing: asyncio.Future[str | None] | None = None
    main_task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    stop_signal: list[int] = []

    def on_stop(signum: int) -> None:
        stop_signal.append(signum)
        if main_task is not None:
            main_task.cancel()

    for signum in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(NotImplementedError, ValueError):
            loop.add_signal_handler(signum, on_stop, signum)
    try:
        if options.continue_last or options.resume is not None:
            resumed = await _resume(app, options, interactive)
            if resumed is not None:
                return resumed
        if not app.conversation.model:
            listing = await _pick_default_model(app, interactive)
        if live_factory is None:
            # A task starts at the first wait: in the REPL once the prompt is drawn. With -p
            # it is awaited before the request, so it never competes with a frame.
            warming = asyncio.create_task(_warm_up(rich))
        if repl_frontend is not None:
            from termchat.repl.loop import Repl

            history = config.history_file
            problem = history_file_problem(history)  # a FIFO there would hang start-up
            if problem is not None:
                renderer.warning(problem)
            code = await Repl(app, repl_frontend, None if problem else history).run()
            if app.session.saved:  # how to come back to it
                renderer.notice(app.session.describe())
        else:
            assert question is not None

            interrupted: list[bool] = []

            def on_interrupt() -> None:
                interrupted.append(True)
                if not app.interrupt():  # nothing streaming: stop waiting and leave
                    on_stop(signal.SIGINT)

            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signal.SIGINT, on_interrupt)
            if warming is not None:
                await warming
            code = await one_shot(app, question, options, stopped=lambda: bool(interrupted))
    except asyncio.CancelledError:
        code = 128 + (stop_signal[0] if stop_signal else signal.SIGTERM)
    except OSError as exc:
        if exc.errno not in OUTPUT_GONE:
            raise
        # The reader of the output went away (`| head`, a closed terminal); the reply was kept
        # by the app. Stop quietly, as a filter killed by SIGPIPE does.
        _output_gone(exc.errno)
        code = 128 + (stop_signal[0] if stop_signal else signal.SIGPIPE)
    finally:
        if listing is not None:
            listing.cancel()
        await tools.aclose()
        await app.backend.aclose()  # /profile may have changed it (and closed this one)
        session.close()
        if warming is not None:
            await warming  # a thread cannot be cancelled; it takes a few tens of milliseconds
    return code


async def _warm_up(renderer: Renderer) -> None:
    """Load the renderer's Markdown and syntax parts in a thread, then freeze start-up objects.

    After start-up, most objects the garbage collector tracks are modules, classes and
    functions that live as long as the process; its full collections walked them all, a
    12-25 ms pause that landed in the middle of a frame a few seconds into a long reply.
    `gc.freeze` moves them out of its sight.
    """
    await asyncio.to_thread(renderer.warm_up)
    gc.freeze()


async def _start_tools(
    config: Config, options: ChatOptions, screen: Screen, interactive: bool
) -> Toolbox:
    """The toolbox, MCP servers started (each one that fails is named and skipped).

    Raises:
        TermchatError: an unknown built-in, a tools file or an MCP table that is unusable.
    """
    from termchat.tools.toolbox import build_toolbox

    toolbox = build_toolbox(config, interactive=interactive, assume_yes=options.yes)
    if config.mcp_servers:
        screen.notice("Starting MCP servers…")
        try:
            problems = await toolbox.start_mcp(config.mcp_servers)
        except TermchatError:
            await toolbox.aclose()
            raise
        for problem in problems:
            screen.warning(problem)
    return toolbox


async def _resume(app: ChatApp, options: ChatOptions, interactive: bool) -> int | None:
    """--continue / --resume [ID]: load the conversation; an exit status when it failed."""
    from termchat.commands.session import resume

    session = app.session
    target = options.resume or None
    try:
        if options.continue_last and not target:
            latest = session.latest()
            if latest is None:
                app.renderer.notice("No saved conversation yet; starting a new one.")
                return None
            target = latest.id
        if target is None:
            if not interactive:
                app.renderer.error(
                    "--resume needs an id when not interactive (termchat sessions list)."
                )
                return 2
            target = await app.frontend.pick_session(session)
            if target is None:
                return 0
        resume(app, target, keep=options.explicit | app.config.chosen)
    except StoreError as exc:
        app.renderer.error(str(exc))
        return 1
    return None


def _theme_for_terminal(interactive: bool) -> str:
    """No theme set: light or dark as the terminal's background is (asked only of a
    terminal on both sides, and not under NO_COLOR, where colours are off anyway)."""
    if not interactive or os.environ.get("NO_COLOR"):
        return ""
    from termchat.background import pick_theme

    return pick_theme(os.environ, sys.stdin.fileno(), sys.stdout.fileno())


def _pipe_live_factory(options: ChatOptions) -> Callable[[str, bool], LiveView]:
    from termchat.render.plain import JsonReply, PlainReply

    def factory(model: str, show: bool) -> LiveView:
        if options.json:
            return JsonReply()
        return PlainReply(show_thinking=options.show_thinking_flag is True)

    return factory


def _output_gone(number: int | None) -> None:
    """Point stdout (and, for a closed terminal, stderr) at the null device, so that what is
    still buffered, and Python's flush at exit, go nowhere instead of failing again."""
    streams = (sys.stdout, sys.stderr) if number == errno.EIO else (sys.stdout,)
    for stream in streams:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, stream.fileno())
            os.close(null)


async def _newest_model(app: ChatApp) -> str | None:
    """The server's most recently modified model, or None (no list, or an empty one)."""
    try:
        models = await app.backend.list_models()
    except TermchatError:
        return None
    if not models:
        return None
    return max(models, key=lambda m: m.modified_at or "").name


async def _pick_default_model(app: ChatApp, interactive: bool) -> asyncio.Future[str | None] | None:
    """No model given: use the server's most recently modified one, and say so.

    The REPL waits for the list at most PICK_GRACE seconds (a server that accepts and never
    answers must not keep the prompt away); then it starts with "no model", and the model is
    picked when the list arrives (the prompt and the toolbar show it). Returns the listing
    still running then, for the caller to cancel at the end.
    """
    listing = asyncio.ensure_future(_newest_model(app))
    try:
        name = await asyncio.wait_for(asyncio.shield(listing), PICK_GRACE if interactive else None)
    except TimeoutError:
        listing.add_done_callback(lambda done: _picked_late(app, done))
        return listing
    if name is not None:
        from termchat.render.sanitize import name_text

        app.conversation.model = name
        shown = name_text(name)  # the server's word: shown, never obeyed
        app.renderer.notice(f"No model given; using {shown} (choose with --model or /model).")
    return None


def _picked_late(app: ChatApp, listing: asyncio.Future[str | None]) -> None:
    """The model list arrived after the prompt: use its newest model unless one was chosen."""
    if listing.cancelled() or app.conversation.model:
        return
    name = listing.result()
    if name is not None:
        app.set_model(name, None)
        app.start_model_info()
