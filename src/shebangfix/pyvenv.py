"""Read ``pyvenv.cfg`` and rewrite the one line of it that records the venv's own path."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["command_prefix", "parse", "rewrite_command"]

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
    # with "--", so the first " /" after the creator begins it.
    tail = command[creator.end() - 1 :]
    start = tail.find(b" /")
    if start < 0:
        return None
    return tail[start + 1 :]


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
