"""The command line: argument parsing, all printing, and exit codes.

Exit codes: 0 nothing wrong (check) or everything right now (fix); 1 problems remain;
2 usage error or unusable input (one line on stderr, nothing written).
"""

from __future__ import annotations

import argparse
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


def _parser(prog: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Check and repair interpreter paths in a relocated virtual environment.",
        epilog="VENV defaults to $VIRTUAL_ENV, else the running interpreter's venv, else ./.venv."
        " Exit status: 0 nothing wrong, 1 problems remain, 2 usage error or unusable input.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, help_text: str, *, prefix: bool) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("venv", nargs="?", metavar="VENV", help="the venv root (holds pyvenv.cfg)")
        if prefix:
            sub.add_argument(
                "--prefix",
                metavar="DIR",
                help="absolute path the venv will run from (default: where it is now)",
            )
            sub.add_argument(
                "--relocatable",
                action="store_true",
                help="make (check) the venv work wherever it is moved, with no further step",
            )
            sub.add_argument(
                "--python",
                metavar="EXE",
                help="re-point (check) the base interpreter: bin/python* and pyvenv.cfg's home",
            )
        sub.add_argument("--json", action="store_true", help="print one JSON document")
        return sub

    add("scan", "list and classify every entry of the venv's bin directory", prefix=False)
    add("check", "report every interpreter path that is wrong for the prefix", prefix=True)
    fix = add("fix", "rewrite what check reports, atomically, then check again", prefix=True)
    fix.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
    fix.add_argument(
        "--no-sync",
        dest="sync",
        action="store_false",
        help="do not flush the new files to disk before renaming (throwaway builds)",
    )
    return parser


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
    for problem in problems:
        print(f"{problem.path}: {problem.code}: {problem.detail}")


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
    for change in result.changes:
        print(f"{change.path}: {verb} {','.join(change.codes)}: {change.before} -> {change.after}")
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
    parser = _parser(prog)
    args = parser.parse_args(argv)
    if args.version:
        from . import __version__

        print(f"{parser.prog} {__version__}")
        return 0
    if args.command is None:
        parser.error("a command is required: scan, check or fix")
    from . import api
    from .errors import ShebangfixError

    try:
        if args.command == "scan":
            return _print_scan(api.scan(args.venv), args.json)
        if args.command == "check":
            result = api.check(
                args.venv, args.prefix, relocatable=args.relocatable, python=args.python
            )
            return _print_check(result, args.json)
        fixed = api.fix(
            args.venv,
            args.prefix,
            dry_run=args.dry_run,
            relocatable=args.relocatable,
            python=args.python,
            sync=args.sync,
        )
        return _print_fix(fixed, args.json)
    except ShebangfixError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (| head): say nothing more, and let the exit flush quietly.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
