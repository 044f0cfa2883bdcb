"""The command line: a thin layer over the library; errors are one line on stderr, never a traceback."""

from __future__ import annotations

import os
import sys

import typer

from policypulse.errors import PolicyPulseError, UsageError

app = typer.Typer(
    name="policypulse",
    help="A sensitive measuring device for the life and death of policy ideas.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

from policypulse.cli import corpus_cmds, discover_cmds, lifecycle_cmds, precedents_cmds, store_cmds, track_cmds, web_cmds  # noqa: E402,F401  (commands register on import)


def _fail(message: str, code: int) -> int:
    sys.stderr.write(f"policypulse: error: {message}\n")
    return code


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``policypulse`` console script."""
    command = typer.main.get_command(app)
    try:
        command.main(args=argv if argv is not None else sys.argv[1:], prog_name="policypulse",
                     standalone_mode=False)
    except UsageError as exc:
        return _fail(str(exc), 2)
    except PolicyPulseError as exc:
        return _fail(str(exc), 1)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the last line of defence: no traceback reaches a user
        # Typer ships its own copy of click, so its exceptions are recognised by shape, not class.
        kind = type(exc).__name__
        if kind == "NoArgsIsHelpError":
            ctx = getattr(exc, "ctx", None)
            sys.stderr.write((ctx.get_help() + "\n") if ctx else "")
            return 2
        if kind == "Exit":
            return int(getattr(exc, "exit_code", 0))
        if kind == "Abort":
            return _fail("aborted", 1)
        if hasattr(exc, "format_message") and getattr(exc, "exit_code", None) == 2:
            return _fail(exc.format_message().replace("\n", " "), 2)
        if os.environ.get("POLICYPULSE_DEBUG"):
            raise
        return _fail(f"internal error ({kind}: {exc}); rerun with POLICYPULSE_DEBUG=1 "
                     "for details and report it", 1)
    return 0


def run() -> None:
    """Console-script wrapper that exits with main's code."""
    sys.exit(main())
