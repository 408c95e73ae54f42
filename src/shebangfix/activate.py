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

TYPE_CHECKING = False  # typing is not imported at run time: it would double start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import Literal

    Creator = Literal["venv", "virtualenv", "uv", "unknown"]
    Context = Literal["dq", "sq", "shlex", "nu-raw", "raw"]


_BARE_BEFORE = frozenset(b" \t=\n")
_BARE_AFTER = frozenset(b" \t;\n\r")
# What may not stand right before an assigned VIRTUAL_ENV: a longer name, $ or ${.
_WORD_OR_EXPANSION = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_${")
_PROMPT_MARKS = (b"PROMPT", b"PS1", b"prompt", b"set_color")
_NOT_IN_BARE = b" \t\n\r\f\v;'\""
_VIRTUAL_ENV = b"VIRTUAL_ENV"
_VIRTUALENV_DIR = b"_virtualenv_dir="


def _absolute(value: bytes) -> bool:
    """A POSIX (``/…``) or Windows (``X:\\…``) absolute path."""
    return value[:1] == b"/" or (value[:1].isalpha() and value[1:3] == b":\\")


def _assigned(content: bytes, pos: int) -> tuple[bytes, int] | None:
    """The path assigned at ``pos`` and where its spelling ends: ``"P"``, ``'P'`` (POSIX
    only) or a bare word."""
    quote = content[pos : pos + 1]
    if quote in (b'"', b"'"):
        end = content.find(quote, pos + 1)
        value = content[pos + 1 : end]
        if end < 0 or b"\n" in value or not _absolute(value):
            return None
        if quote == b"'" and value[:1] != b"/":
            return None
        return value, end + 1
    end = pos
    while end < len(content) and content[end] not in _NOT_IN_BARE:
        end += 1
    value = content[pos:end]
    return (value, end) if _absolute(value) else None


def _assignment_at(content: bytes, at: int, name: bytes) -> tuple[bytes, int] | None:
    """The value assigned by the occurrence of ``name`` at ``at``, and where it ends."""
    after = at + len(name)
    if name != _VIRTUAL_ENV:
        return _assigned(content, after)  # _virtualenv_dir=
    if content[at - 5 : at] == b'set "' and content[after : after + 1] == b"=":
        # cmd: set "VIRTUAL_ENV=X:\…"
        end = content.find(b'"', after)
        inner = content[after + 1 : end]
        if (
            end >= 0
            and inner[:1] != b"/"
            and b"\r" not in inner
            and b"\n" not in inner
            and _absolute(inner)
        ):
            return inner, end + 1
    if at and content[at - 1] in _WORD_OR_EXPANSION:
        return None
    if content[after : after + 1] == b"=":
        return _assigned(content, after + 1)
    if content[after : after + 1] in (b" ", b"\t"):
        return _assigned(content, len(content) - len(content[after:].lstrip(b" \t")))
    return None


def embedded_prefixes(content: bytes) -> set[bytes]:
    """The absolute paths an activate script assigns to ``VIRTUAL_ENV``.

    Assignments are ``VIRTUAL_ENV=…`` (sh), ``VIRTUAL_ENV …`` (csh, fish),
    ``_virtualenv_dir=…`` and cmd's ``set "VIRTUAL_ENV=X:\\…"``; a name that is part of a
    longer word or an expansion (``$VIRTUAL_ENV``, ``${VIRTUAL_ENV}``) assigns nothing. Read
    left to right, an assignment's value is not searched for further assignments.
    """
    starts = []
    for name in (_VIRTUAL_ENV, _VIRTUALENV_DIR):
        at = content.find(name)
        while at >= 0:
            # cmd's form starts at its "set": it wins over an assignment inside the word.
            begins = at - 5 if name == _VIRTUAL_ENV and content[at - 5 : at] == b'set "' else at
            starts.append((begins, at, name))
            at = content.find(name, at + 1)
    found: set[bytes] = set()
    consumed = 0
    for begins, at, name in sorted(starts):
        if begins < consumed:
            continue
        assigned = _assignment_at(content, at, name)
        if assigned is not None:
            found.add(assigned[0])
            consumed = assigned[1]
    return found


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
    pos = 0
    for start, end in _matches(content, olds):
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


def _matches(content: bytes, olds: list[bytes]) -> Iterator[tuple[int, int]]:
    """Non-overlapping occurrences of any of ``olds``, leftmost first, longest at a tie."""
    search = 0
    while True:
        found = [(at, -len(old)) for old in olds if (at := content.find(old, search)) >= 0]
        if not found:
            return
        start, minus_length = min(found)
        search = start - minus_length
        yield start, search


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


def _rename_in_line(line: bytes, old_name: bytes, new_name: bytes) -> bytes:
    out = bytearray()
    pos = 0
    at = line.find(old_name)
    while at >= 0:
        end = at + len(old_name)
        before = line[at - 1 : at] if at else b""
        if before == b"(" and line[end : end + 2] == b") ":
            out += line[pos:at] + new_name
            pos = end
            at = line.find(old_name, end + 2)
        elif before in (b'"', b"'") and line[end : end + 1] == before:
            out += line[pos:at] + new_name
            pos = end
            at = line.find(old_name, end)
        else:
            at = line.find(old_name, at + 1)
    return bytes(out + line[pos:])


def rename_prompt(content: bytes, old_name: bytes, new_name: bytes) -> bytes:
    """Follow a new directory name in the prompt stdlib venv bakes in (``(name) ``).

    Only on lines that set a prompt: there the name stands as ``(name) ``, ``"name"`` or
    ``'name'``.
    """
    if not old_name or old_name == new_name or old_name not in content:
        return content
    lines = content.split(b"\n")
    for index, line in enumerate(lines):
        if old_name in line and any(mark in line for mark in _PROMPT_MARKS):
            lines[index] = _rename_in_line(line, old_name, new_name)
    return b"\n".join(lines)
