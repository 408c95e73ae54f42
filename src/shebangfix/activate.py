"""Rewrite the venv path (and the prompt derived from it) inside activate scripts.

Every creator embeds the path in its own quoting, per shell:

* stdlib venv before gh-124651: ``"P"`` in every flavour; after it, ``shlex.quote(P)``;
* virtualenv 20.26.6+: ``shlex.quote(P)`` in ``activate``, ``'P'`` in csh and fish, ``r#'P'#``
  in nu, a Python string in xsh;
* uv: ``'P'`` in every POSIX flavour, ``("P")`` in ``activate.bat``.

So an occurrence of an old path is rewritten only where it stands whole: between a pair of
the same quotes (keeping that quoting) or as a bare shell word (re-quoted with shlex rules,
exactly as the shlex-quoting creators do). The new path has already been checked to hold no
character that is special inside any of these quotes.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from typing import Literal

__all__ = ["Creator", "embedded_prefixes", "rename_prompt", "rewrite_paths"]

Creator = Literal["venv", "virtualenv", "uv", "unknown"]

_ASSIGNMENT = re.compile(
    rb"(?:(?<![$\w{])VIRTUAL_ENV(?:=|[ \t]+)|_virtualenv_dir=)"
    rb"(?:\"(/[^\"\n]*)\"|'(/[^'\n]*)'|(/[^\s;'\"]*))"
)
_BARE_BEFORE = frozenset(b" \t=\n")
_BARE_AFTER = frozenset(b" \t;\n\r")
_PROMPT_LINE = re.compile(rb"^.*(?:PROMPT|PS1|prompt|set_color).*$", re.MULTILINE)


def embedded_prefixes(content: bytes) -> set[bytes]:
    """The absolute paths an activate script assigns to ``VIRTUAL_ENV``."""
    found: set[bytes] = set()
    for match in _ASSIGNMENT.finditer(content):
        value = match.group(1) or match.group(2) or match.group(3)
        if value:
            found.add(value)
    return found


def _shlex(value: bytes) -> bytes:
    return shlex.quote(value.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")


def rewrite_paths(
    content: bytes, old_prefixes: Iterable[bytes], new_prefix: bytes, *, shlex_quoted: bool
) -> bytes:
    """Replace each whole occurrence of an old prefix with ``new_prefix``.

    ``shlex_quoted`` says the file quotes with ``shlex.quote`` (bare when safe, ``'…'``
    otherwise), so a single-quoted old path may become bare and the other way round.
    """
    olds = sorted({p for p in old_prefixes if p and p != new_prefix}, key=len, reverse=True)
    if not olds:
        return content
    pattern = re.compile(b"|".join(re.escape(p) for p in olds))
    out = bytearray()
    pos = 0
    for match in pattern.finditer(content):
        start, end = match.span()
        before = content[start - 1] if start else ord("\n")
        after = content[end] if end < len(content) else ord("\n")
        if before in b"\"'" and after == before:
            if before == ord("'") and shlex_quoted:
                replacement, start, end = _shlex(new_prefix), start - 1, end + 1
            else:
                replacement = new_prefix
        elif before in _BARE_BEFORE and after in _BARE_AFTER:
            replacement = _shlex(new_prefix)
        else:
            continue
        if start < pos:
            continue
        out += content[pos:start] + replacement
        pos = end
    out += content[pos:]
    return bytes(out)


def rename_prompt(content: bytes, old_name: bytes, new_name: bytes) -> bytes:
    """Follow a new directory name in the prompt stdlib venv bakes in (``(name) ``)."""
    if not old_name or old_name == new_name:
        return content
    quoted = re.compile(
        rb"\(" + re.escape(old_name) + rb"\) "
        rb"|(?<=\")" + re.escape(old_name) + rb"(?=\")"
        rb"|(?<=')" + re.escape(old_name) + rb"(?=')"
    )

    def swap(match: re.Match[bytes]) -> bytes:
        if match.group().startswith(b"(") and match.group().endswith(b") "):
            return b"(" + new_name + b") "
        return new_name

    return _PROMPT_LINE.sub(lambda line: quoted.sub(swap, line.group()), content)
