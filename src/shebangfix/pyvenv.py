"""Read ``pyvenv.cfg`` and rewrite the one line of it that records the venv's own path."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import re
    from collections.abc import Iterable, Iterator

__all__ = ["command_prefix", "parse", "remove_key", "rewrite_command", "set_value"]

# venv writes "<python> -m venv [options] <dir>", virtualenv "<python> -m virtualenv <dir>".
_CREATORS = (b" -m venv ", b" -m virtualenv ")


def _lines(content: bytes) -> Iterator[tuple[int, bytes]]:
    """Each line's offset and text, without its ``\n`` or a ``\r`` before it."""
    pos = 0
    for line in content.split(b"\n"):
        yield pos, line[:-1] if line.endswith(b"\r") else line
        pos += len(line) + 1


def parse(content: bytes) -> dict[str, str]:
    """The ``key = value`` pairs, as ``site`` reads them (keys lowercased, last one wins)."""
    settings = {}
    for _, line in _lines(content):
        key, sep, value = line.partition(b"=")
        if not sep or not key or b"\r" in key:
            continue
        name = key.strip(b" \t").lower().decode("utf-8", "surrogateescape")
        settings[name] = value.strip(b" \t").decode("utf-8", "surrogateescape")
    return settings


def _command(content: bytes) -> tuple[int, int] | None:
    """Where the first ``command = …`` line's value starts and ends."""
    for offset, line in _lines(content):
        rest = line.lstrip(b" \t")
        if not rest.startswith(b"command"):
            continue
        rest = rest[len(b"command") :].lstrip(b" \t")
        if not rest.startswith(b"="):
            continue
        value = rest[1:].lstrip(b" \t")
        start = offset + len(line) - len(value)
        return start, start + len(value.rstrip(b" \t"))
    return None


def command_prefix(content: bytes) -> bytes | None:
    """The venv directory that ``command`` names: its last argument, an absolute path."""
    span = _command(content)
    if span is None:
        return None
    command = content[span[0] : span[1]]
    found = [at for creator in _CREATORS if (at := command.find(creator)) >= 0]
    if not found:
        return None
    # The directory is the last argument and may hold spaces; options before it start
    # with "--", so the first " /" (or " X:\\" on Windows) after the creator begins it.
    at = command.find(b" ", min(found) + len(b" -m "))
    while at >= 0:
        first = command[at + 1 : at + 2]
        if first == b"/" or (first.isalpha() and command[at + 2 : at + 4] == b":\\"):
            return command[at + 1 :]
        at = command.find(b" ", at + 1)
    return None


def rewrite_command(content: bytes, old_prefixes: Iterable[bytes], new_prefix: bytes) -> bytes:
    """Point ``command``'s directory argument at ``new_prefix``, as a build there would."""
    span = _command(content)
    current = command_prefix(content)
    if span is None or current is None or current == new_prefix:
        return content
    if current not in set(old_prefixes):
        return content
    end = span[1]
    return content[: end - len(current)] + new_prefix + content[end:]


def _key_pattern(key: str) -> re.Pattern[bytes]:
    import re  # only to set or drop a key: relocatable and --python

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
    import re

    pattern = re.compile(
        rb"^[ \t]*" + re.escape(key.encode()) + rb"[ \t]*=.*(?:\r?\n|\Z)",
        re.MULTILINE | re.IGNORECASE,
    )
    return pattern.sub(b"", content)
