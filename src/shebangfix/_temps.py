"""The names of the temporary files ``fix`` writes beside the files it replaces.

Made by the writer, recognised by the scanner (which skips them) and by the clean-up of
an interrupted run: ``.NAME.shebangfix-XXXXXXXX.tmp``, with eight hex digits.
"""

from __future__ import annotations

import os

__all__ = ["is_temp_name", "temp_name"]

_MARK = ".shebangfix-"
_SUFFIX = ".tmp"
_HEX = frozenset("0123456789abcdef")


class _Names:
    """Temporary names: a random start per run, then counted (no syscall per file)."""

    def __init__(self) -> None:
        self.next = int.from_bytes(os.urandom(4), "big")

    def __call__(self, path: str) -> str:
        directory, name = os.path.split(path)
        self.next = (self.next + 1) & 0xFFFFFFFF
        return os.path.join(directory, f".{name}{_MARK}{self.next:08x}{_SUFFIX}")


#: A new temporary name beside a path.
temp_name = _Names()


def is_temp_name(name: str) -> bool:
    """Whether ``name`` is one of our temporary files."""
    if not name.endswith(_SUFFIX) or name[0] != ".":
        return False
    mark = name.rfind(_MARK, 0, len(name) - len(_SUFFIX) - 8)
    tag = name[len(name) - len(_SUFFIX) - 8 : -len(_SUFFIX)]
    return mark > 1 and mark + len(_MARK) + 8 + len(_SUFFIX) == len(name) and _HEX.issuperset(tag)
