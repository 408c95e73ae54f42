"""Read ``pyvenv.cfg`` and rewrite the one line of it that records the venv's own path."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["command_prefix", "parse", "remove_key", "rewrite_command", "set_value"]

_LINE = re.compile(rb"^[ \t]*([^=\r\n]+?)[ \t]*=[ \t]*(.*?)[ \t]*\r?$", re.MULTILINE)
_COMMAND = re.compile(rb"^([ \t]*command[ \t]*=[ \t]*)(.*?)([ \t]*\r?)$", re.MULTILINE)
# venv writes "<python> -m venv [options] <dir>", virtualenv "<python> -m virtualenv <dir>".
_CREATOR = re.compile(rb" -m (?:venv|virtualenv) ")


def parse(content: bytes) -> dict[str, str]:
    """The ``key = value`` pairs, as ``site`` reads them (keys lowercased, last one wins)."""
    return {
        key.strip().lower().decode("utf-8", "surrogateescape"): value.decode(
            "utf-8", "surrogateescape"
        )
        for key, value in _LINE.findall(content)
    }


def command_prefix(content: bytes) -> bytes | None:
    """The venv directory that ``command`` names: its last argument, an absolute path."""
    match = _COMMAND.search(content)
    if match is None:
        return None
    command = match.group(2)
    creator = _CREATOR.search(command)
    if creator is None:
        return None
    # The directory is the last argument and may hold spaces; options before it start
    # with "--", so the first " /" (or " X:\\" on Windows) after the creator begins it.
    tail = command[creator.end() - 1 :]
    start = re.search(rb" (?:/|[A-Za-z]:\\)", tail)
    if start is None:
        return None
    return tail[start.start() + 1 :]


def rewrite_command(content: bytes, old_prefixes: Iterable[bytes], new_prefix: bytes) -> bytes:
    """Point ``command``'s directory argument at ``new_prefix``, as a build there would."""
    match = _COMMAND.search(content)
    current = command_prefix(content)
    if match is None or current is None or current == new_prefix:
        return content
    if current not in set(old_prefixes):
        return content
    command = match.group(2)
    new_command = command[: len(command) - len(current)] + new_prefix
    return content[: match.start(2)] + new_command + content[match.end(2) :]


def _key_pattern(key: str) -> re.Pattern[bytes]:
    return re.compile(
        rb"^([ \t]*" + re.escape(key.encode()) + rb"[ \t]*=[ \t]*)(.*?)([ \t]*\r?)$",
        re.MULTILINE | re.IGNORECASE,
    )


def set_value(content: bytes, key: str, value: bytes, *, add: bool = False) -> bytes:
    """Set ``key`` to ``value`` where it is set; append ``key = value`` if ``add``."""
    pattern = _key_pattern(key)
    if pattern.search(content):
        return pattern.sub(lambda m: m.group(1) + value + m.group(3), content)
    if not add:
        return content
    newline = b"\r\n" if content.endswith(b"\r\n") else b"\n"
    if content and not content.endswith(b"\n"):
        content += newline
    return content + key.encode() + b" = " + value + newline


def remove_key(content: bytes, key: str) -> bytes:
    """Drop every ``key = …`` line."""
    pattern = re.compile(
        rb"^[ \t]*" + re.escape(key.encode()) + rb"[ \t]*=.*(?:\r?\n|\Z)",
        re.MULTILINE | re.IGNORECASE,
    )
    return pattern.sub(b"", content)
