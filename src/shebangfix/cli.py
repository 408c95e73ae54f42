"""The command line: argument parsing, all printing, and exit codes.

Exit codes: 0 nothing wrong (check) or everything right now (fix); 1 problems remain;
2 usage error or unusable input (one line on stderr, nothing written).
"""

from __future__ import annotations

import gc
import sys

TYPE_CHECKING = False  # typing itself is not imported: --help should start fast
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from .api import CheckResult, FixResult, ScanResult
    from .plan import Change, Problem

__all__ = ["JSON_SCHEMA", "main"]

#: Version of the ``--json`` document; bumped when a field changes meaning or goes away.
JSON_SCHEMA = 1

# The parser is written out rather than built with argparse, whose import alone costs twice
# the interpreter's start-up: this runs as a Dockerfile step and in shell loops.
_COMMANDS = {
    "scan": "list and classify every entry of the venv's bin directory",
    "check": "report every interpreter path that is wrong for the prefix",
    "fix": "rewrite what check reports, atomically, then check again",
}
_TOP_HELP = """\
usage: {prog} [-h] [--version] COMMAND [VENV] [options]

Check and repair interpreter paths in a relocated virtual environment.

commands:
{commands}

options:
  -h, --help   show this help (or, after a command, that command's) and exit
  --version    print the version and exit

VENV defaults to $VIRTUAL_ENV, else the running interpreter's venv, else ./.venv.
Exit status: 0 nothing wrong, 1 problems remain, 2 usage error or unusable input.
"""
_OPTION_HELP = {
    "--prefix": "--prefix DIR      absolute path the venv will run from (default: where it is now)",
    "--relocatable": "--relocatable     make (check) the venv work wherever it is moved",
    "--python": "--python EXE      re-point (check) the base interpreter: bin/python*, home",
    "--dry-run": "--dry-run         show what would change; write nothing",
    "--no-sync": "--no-sync         do not flush new files to disk before renaming",
    "--json": "--json            print one JSON document",
}
_OPTIONS = {
    "scan": ("--json",),
    "check": ("--prefix", "--relocatable", "--python", "--json"),
    "fix": ("--prefix", "--relocatable", "--python", "--dry-run", "--no-sync", "--json"),
}
_WITH_VALUE = frozenset({"--prefix", "--python"})


class _UsageError(Exception):
    pass


class _Args:
    """What the command line asked for."""

    def __init__(self, command: str) -> None:
        self.command = command
        self.venv: str | None = None
        self.values: dict[str, str] = {}
        self.flags: set[str] = set()


def _command_help(prog: str, command: str) -> str:
    options = "\n".join("  " + _OPTION_HELP[name] for name in _OPTIONS[command])
    return (
        f"usage: {prog} {command} [VENV] [options]\n\n{_COMMANDS[command]}\n\n"
        f"arguments:\n  VENV              the venv root (holds pyvenv.cfg)\n\n"
        f"options:\n  -h, --help        show this help and exit\n{options}\n"
    )


def _parse(argv: Sequence[str], prog: str) -> _Args | str:
    """The parsed arguments, or a text to print (help, version) before exiting 0."""
    if not argv:
        raise _UsageError("a command is required: scan, check or fix")
    first = argv[0]
    if first in ("-h", "--help"):
        commands = "\n".join(f"  {name:<12} {text}" for name, text in _COMMANDS.items())
        return _TOP_HELP.format(prog=prog, commands=commands)
    if first == "--version":
        from . import __version__

        return f"{prog} {__version__}\n"
    if first not in _COMMANDS:
        raise _UsageError(f"unknown command {first!r} (choose scan, check or fix)")
    args = _Args(first)
    allowed = _OPTIONS[first]
    rest = list(argv[1:])
    positional_only = False
    while rest:
        word = rest.pop(0)
        if positional_only or not word.startswith("-") or word == "-":
            if args.venv is not None:
                raise _UsageError(f"unexpected argument {word!r}")
            args.venv = word
            continue
        if word == "--":
            positional_only = True
            continue
        if word in ("-h", "--help"):
            return _command_help(prog, first)
        name, equals, value = word.partition("=")
        if name not in allowed:
            raise _UsageError(f"{first}: unknown option {name}")
        if name in _WITH_VALUE:
            if not equals:
                if not rest:
                    raise _UsageError(f"{first}: {name} needs a value")
                value = rest.pop(0)
            args.values[name] = value
        elif equals:
            raise _UsageError(f"{first}: {name} takes no value")
        else:
            args.flags.add(name)
    return args


def _problem_json(problem: Problem) -> dict[str, Any]:
    return {
        "path": problem.path,
        "code": problem.code,
        "detail": problem.detail,
        "fixable": problem.fixable,
    }


def _change_json(change: Change) -> dict[str, Any]:
    return {
        "path": change.path,
        "codes": list(change.codes),
        "before": change.before,
        "after": change.after,
    }


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _print_scan(result: ScanResult, as_json: bool) -> int:
    import os

    if as_json:
        entries = []
        for entry in result.entries:
            item: dict[str, Any] = {"path": entry.path, "kind": entry.kind}
            if entry.shebang is not None:
                item["form"] = entry.shebang.form
                item["interpreter"] = os.fsdecode(entry.shebang.interpreter)
                item["args"] = os.fsdecode(entry.shebang.args)
            if entry.link_target is not None:
                item["link_target"] = entry.link_target
            entries.append(item)
        _dump({"command": "scan", "venv": result.venv, "entries": entries})
        return 0
    for entry in result.entries:
        line = f"{entry.path}: {entry.kind}"
        if entry.shebang is not None:
            line += f": {os.fsdecode(entry.shebang.interpreter)}"
        elif entry.link_target is not None:
            line += f" -> {entry.link_target}"
        elif entry.detail:
            line += f": {entry.detail}"
        print(line)
    count = len(result.entries)
    print(f"{count} {'entry' if count == 1 else 'entries'} in {result.venv}")
    return 0


def _dump(document: dict[str, Any]) -> None:
    import json

    json.dump({"schema": JSON_SCHEMA, **document}, sys.stdout, indent=2)
    sys.stdout.write("\n")


def _dump_result(command: str, result: CheckResult | FixResult, **extra: object) -> None:
    _dump(
        {
            "command": command,
            "venv": result.venv,
            "prefix": result.prefix,
            **extra,
            "relocatable": result.relocatable,
            "ok": result.ok,
            "problems": [_problem_json(p) for p in result.problems],
            "changes": [_change_json(c) for c in result.changes],
        }
    )


def _print_problems(problems: Sequence[Problem]) -> None:
    # One write: a venv of thousands of broken scripts has thousands of lines.
    sys.stdout.write("".join(f"{p.path}: {p.code}: {p.detail}\n" for p in problems))


def _print_check(result: CheckResult, as_json: bool) -> int:
    if as_json:
        _dump_result("check", result)
        return 0 if result.ok else 1
    _print_problems(result.problems)
    if result.ok:
        where = "wherever it is put" if result.relocatable else f"from {result.prefix}"
        print(f"no problems: {result.venv} is ready to run {where}")
        return 0
    files = len({p.path for p in result.problems})
    fixable = sum(p.fixable for p in result.problems)
    print(
        f"{_plural(len(result.problems), 'problem')} in {_plural(files, 'file')}"
        f" ({fixable} fixable with 'shebangfix fix')"
    )
    return 1


def _print_fix(result: FixResult, as_json: bool) -> int:
    if as_json:
        _dump_result("fix", result, dry_run=result.dry_run)
        return 0 if result.ok else 1
    verb = "would fix" if result.dry_run else "fixed"
    sys.stdout.write(
        "".join(
            f"{c.path}: {verb} {','.join(c.codes)}: {c.before} -> {c.after}\n"
            for c in result.changes
        )
    )
    _print_problems(result.problems)
    summary = (
        f"{verb} {_plural(len(result.changes), 'file')}" if result.changes else "nothing to fix"
    )
    if result.problems:
        summary += f"; {_plural(len(result.problems), 'problem')} remain"
    print(summary)
    return 0 if result.ok else 1


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Run the command line; return the exit code."""
    # A run makes thousands of small objects and no garbage cycles: the cyclic collector
    # would only walk them again and again (a tenth of a small venv's check).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(argv, prog)
    finally:
        if collecting:
            gc.enable()


def _run(argv: Sequence[str] | None, prog: str | None) -> int:
    if prog is None:
        import os

        prog = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "shebangfix"
    try:
        parsed = _parse(sys.argv[1:] if argv is None else argv, prog)
    except _UsageError as exc:
        print(f"{prog}: error: {exc} (see {prog} --help)", file=sys.stderr)
        return 2
    if isinstance(parsed, str):
        sys.stdout.write(parsed)
        return 0
    from . import api
    from .errors import ShebangfixError

    venv, values, flags = parsed.venv, parsed.values, parsed.flags
    try:
        if parsed.command == "scan":
            return _print_scan(api.scan(venv), "--json" in flags)
        if parsed.command == "check":
            result = api.check(
                venv,
                values.get("--prefix"),
                relocatable="--relocatable" in flags,
                python=values.get("--python"),
            )
            return _print_check(result, "--json" in flags)
        fixed = api.fix(
            venv,
            values.get("--prefix"),
            dry_run="--dry-run" in flags,
            relocatable="--relocatable" in flags,
            python=values.get("--python"),
            sync="--no-sync" not in flags,
        )
        return _print_fix(fixed, "--json" in flags)
    except ShebangfixError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (| head): say nothing more, and let the exit flush quietly.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
