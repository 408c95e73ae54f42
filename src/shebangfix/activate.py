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
from collections.abc import Callable, Iterable, Iterator
from typing import Literal

from .shebang import sh_quote

__all__ = [
    "Context",
    "Creator",
    "embedded_prefixes",
    "occurrences",
    "quote_for",
    "rename_prompt",
    "rewrite_paths",
    "splice",
]

Creator = Literal["venv", "virtualenv", "uv", "unknown"]

_ASSIGNMENT = re.compile(
    rb"set \"VIRTUAL_ENV=([A-Za-z]:\\[^\"\r\n]*)\"|"
    rb"(?:(?<![$\w{])VIRTUAL_ENV(?:=|[ \t]+)|_virtualenv_dir=)"
    rb"(?:\"(/[^\"\n]*|[A-Za-z]:\\[^\"\n]*)\"|'(/[^'\n]*)'|(/[^\s;'\"]*|[A-Za-z]:\\[^\s;'\"]*))"
)
_BARE_BEFORE = frozenset(b" \t=\n")
_BARE_AFTER = frozenset(b" \t;\n\r")
_PROMPT_LINE = re.compile(rb"^.*(?:PROMPT|PS1|prompt|set_color).*$", re.MULTILINE)


def embedded_prefixes(content: bytes) -> set[bytes]:
    """The absolute paths an activate script assigns to ``VIRTUAL_ENV``."""
    found: set[bytes] = set()
    for match in _ASSIGNMENT.finditer(content):
        value = match.group(1) or match.group(2) or match.group(3) or match.group(4)
        if value:
            found.add(value)
    return found


Context = Literal["dq", "sq", "shlex", "nu-raw", "raw"]


def occurrences(
    content: bytes, old_prefixes: Iterable[bytes], *, shlex_quoted: bool
) -> Iterator[tuple[int, int, Context]]:
    """Where an old prefix stands whole, as ``(start, end, context)``.

    The span covers the quotes around the path: ``"P"`` (``dq``), ``'P'`` (``sq``), nu's
    ``r#'P'#`` (``nu-raw``), and a bare word or, in a file that quotes with
    ``shlex.quote``, a single-quoted one (``shlex``).
    """
    olds = sorted({p for p in old_prefixes if p}, key=len, reverse=True)
    if not olds:
        return
    pattern = re.compile(b"|".join(re.escape(p) for p in olds))
    pos = 0
    for match in pattern.finditer(content):
        start, end = match.span()
        before = content[start - 1] if start else ord("\n")
        after = content[end] if end < len(content) else ord("\n")
        context: Context
        if before in b"\"'" and after == before:
            start, end = start - 1, end + 1
            if before == ord('"'):
                context = "dq"
            elif content[max(start - 2, 0) : start] == b"r#" and content[end : end + 1] == b"#":
                context, start, end = "nu-raw", start - 2, end + 1
            else:
                context = "shlex" if shlex_quoted else "sq"
        elif before == ord("=") and after == ord('"'):
            context = "raw"  # cmd: set "VIRTUAL_ENV=P"
        elif before in _BARE_BEFORE and after in _BARE_AFTER:
            context = "shlex"
        else:
            continue
        if start < pos:
            continue
        pos = end
        yield start, end, context


def quote_for(context: Context, path: bytes) -> bytes:
    """``path`` spelled for ``context``, as the creator of the file spells it."""
    if context == "dq":
        return b'"' + path + b'"'
    if context == "sq":
        return b"'" + path + b"'"
    if context == "nu-raw":
        return b"r#'" + path + b"'#"
    if context == "raw":
        return path
    return sh_quote(path)


def rewrite_paths(
    content: bytes, old_prefixes: Iterable[bytes], new_prefix: bytes, *, shlex_quoted: bool
) -> bytes:
    """Replace each whole occurrence of an old prefix with ``new_prefix``.

    ``shlex_quoted`` says the file quotes with ``shlex.quote`` (bare when safe, ``'…'``
    otherwise), so a single-quoted old path may become bare and the other way round.
    """
    olds = [p for p in old_prefixes if p != new_prefix]
    spots = occurrences(content, olds, shlex_quoted=shlex_quoted)
    return splice(content, spots, lambda context: quote_for(context, new_prefix))


def splice(
    content: bytes,
    spots: Iterable[tuple[int, int, Context]],
    replace: Callable[[Context], bytes],
) -> bytes:
    """``content`` with each ``(start, end, context)`` span, in order, replaced."""
    out = bytearray()
    pos = 0
    for start, end, context in spots:
        out += content[pos:start] + replace(context)
        pos = end
    return bytes(out + content[pos:])


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
