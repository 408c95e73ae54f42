"""Parse and render the interpreter reference at the head of a script, in every launcher form.

Pure functions on bytes. The forms and the rules behind them:

* plain ``#!/p/bin/python [arg]``, tokenised the way Linux does it (fs/binfmt_script.c): only
  space and tab separate, ``\\r`` is data, everything after the interpreter is one argument;
* the ``/bin/sh`` trampoline that installers write when a path is long or has a space::

      #!/bin/sh
      '''exec' <quoted interpreter> [args] "$0" "$@"
      ' '''

* uv's relocatable trampoline, which finds ``python`` beside the script;
* the ``#!python`` placeholder a wheel carries in ``*.data/scripts``.
"""

from __future__ import annotations

from ._struct import frozen

__all__ = [
    "HEAD_SIZE",
    "KERNEL_LINE_LIMIT",
    "PLAIN_LINE_LIMIT",
    "Form",
    "Quoting",
    "Shebang",
    "Style",
    "is_binary",
    "parse",
    "python_prefix",
    "quote",
    "render",
    "render_for",
    "render_relocatable",
    "sh_quote",
]

TYPE_CHECKING = False  # typing is not imported at run time: it would double start-up
if TYPE_CHECKING:
    from typing import Literal

    Form = Literal["plain", "trampoline", "relocatable", "placeholder"]
    Quoting = Literal["bare", "double", "single", "printf"]
    Style = Literal["distlib", "installer", "uv", "virtualenv", "direct"]


#: Bytes read from the start of each file. A shebang lives in the first 256 bytes; a
#: trampoline's second line carries the whole path, so leave room for long paths.
HEAD_SIZE = 8192
#: Linux reads 256 bytes for the interpreter line (BINPRM_BUF_SIZE since v5.1); a line of
#: 256 bytes or more before its newline fails with ENOEXEC.
KERNEL_LINE_LIMIT = 256
#: The installers (distlib, installer, uv) write a plain shebang only when ``#!``, the
#: interpreter, its arguments and the newline fit in 127 bytes, the limit of older kernels.
PLAIN_LINE_LIMIT = 127

_SH_LINE = b"#!/bin/sh"
_EXEC_OPEN = b"'''exec' "
_EXEC_CLOSE = b' "$0" "$@"'
_PY_CLOSE = b"' '''"
_RELOCATABLE_OPEN = b'\'\'\'exec\' "$(dirname -- "$(realpath -- "$0")")"/'
# Ours finds the script's real directory with POSIX sh, readlink, cd -P and pwd -P alone, so
# it also runs where realpath is missing (old macOS) or takes no "--" (BusyBox), and when
# the script is reached through a chain of symlinks.
_PORTABLE_OPEN = (
    b"'''exec' \"$(P=$0; case $P in (/*) ;; (*) P=./$P ;; esac; "
    b'while [ -h "$P" ]; do L=$(readlink "$P"); '
    b"case $L in (/*) P=$L ;; (*) P=${P%/*}/$L ;; esac; done; "
    b'cd -P "${P%/*}" && pwd -P)/'
)
_ALNUM = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
# A name the portable trampoline may carry: [A-Za-z0-9._-]+.
_PORTABLE_NAME = _ALNUM + b"._-"
_BINARY_MAGIC = (
    b"\x7fELF",
    b"MZ",
    b"\xfe\xed\xfa\xce",
    b"\xce\xfa\xed\xfe",
    b"\xfe\xed\xfa\xcf",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)
# Bytes that need no quoting in a POSIX shell word (the set shlex.quote leaves bare).
_SH_SAFE = _ALNUM + b"_@%+=:,./-"
_PRINTF_OPEN = b"\"$(printf '"
_PRINTF_CLOSE = b"')\""


def _only(word: bytes, allowed: bytes) -> bool:
    """Whether ``word`` is not empty and every byte of it is in ``allowed``."""
    return bool(word) and not word.strip(allowed)


def _is_python_name(name: bytes) -> bool:
    """``python``, ``pypy``, with an optional ``X`` or ``X.Y`` and an optional ``w``."""
    for stem in (b"python", b"pypy"):
        if name.startswith(stem):
            break
    else:
        return False
    rest = name[len(stem) :]
    if rest.endswith(b"w"):
        rest = rest[:-1]
    if not rest:
        return True
    major, dot, minor = rest.partition(b".")
    return major.isdigit() and (not dot or minor.isdigit())


def _printf_word(text: bytes, pos: int) -> tuple[bytes, int] | None:
    """virtualenv's ``"$(printf '\\NNN…')"`` at ``pos``: the bytes it spells and its end."""
    if not text.startswith(_PRINTF_OPEN, pos):
        return None
    start = pos + len(_PRINTF_OPEN)
    end = text.find(_PRINTF_CLOSE, start)
    octal = text[start:end]
    if end < 0 or not octal or len(octal) % 4:
        return None
    groups = [octal[i : i + 4] for i in range(0, len(octal), 4)]
    if not all(g[:1] == b"\\" and _only(g[1:], b"01234567") for g in groups):
        return None
    return bytes(int(g[1:], 8) for g in groups), end + len(_PRINTF_CLOSE)


@frozen
class Shebang:
    """The interpreter reference at the head of a script."""

    form: Form
    """Which launcher form the head has."""
    interpreter: bytes
    """The interpreter path, unquoted (for ``relocatable``: the name beside the script)."""
    args: bytes = b""
    """What follows the interpreter on its line, leading whitespace included."""
    quoting: Quoting = "bare"
    """How the interpreter is quoted: trampolines, and setuptools' ``#!"/a b/python"``."""
    lead: bytes = b""
    """Spaces or tabs between ``#!`` and the interpreter (plain form)."""
    crlf: bool = False
    """The first line ends in ``\\r\\n``: the kernel then looks for ``python\\r``."""
    terminated: bool = True
    """The header ends with a newline (False only for a file that ends on its shebang)."""

    @property
    def line_length(self) -> int:
        """Bytes of the first line before its newline, as the kernel counts them."""
        return len(render(self).split(b"\n", 1)[0])


def is_binary(head: bytes) -> bool:
    """Tell an executable or other binary file from a script by its first bytes.

    A NUL in the first 96 bytes marks a binary (as dh_python checks), unless the file
    starts with ``#!``: the kernel runs such a file as a script whatever follows.
    """
    if head.startswith(b"#!"):
        return False
    return head.startswith(_BINARY_MAGIC) or b"\0" in head[:96]


def python_prefix(interpreter: bytes) -> bytes | None:
    """Return P for an interpreter ``P/bin/python[X[.Y]]``, else None."""
    head, sep, name = interpreter.rpartition(b"/")
    if not sep or not _is_python_name(name):
        return None
    prefix, sep, bindir = head.rpartition(b"/")
    if not sep or bindir != b"bin" or not interpreter.startswith(b"/"):
        return None
    return prefix or b"/"


def _lines(head: bytes, count: int) -> list[bytes] | None:
    """The first ``count`` lines of ``head``, each with its newline; None if cut short."""
    lines = head.split(b"\n", count)
    if len(lines) <= count:
        return None
    return [line + b"\n" for line in lines[:count]]


def parse(head: bytes, *, complete: bool = True) -> Shebang | None:
    """Parse the head of a file; None when it does not start with ``#!``.

    ``complete`` says that ``head`` is the whole file, so a missing final newline is a
    property of the file rather than of the read. A first line longer than ``head`` gives
    None as well (no kernel reads that far).
    """
    if not head.startswith(b"#!"):
        return None
    tramp = _parse_trampoline(head)
    if tramp is not None:
        return tramp
    newline = head.find(b"\n")
    if newline < 0:
        if not complete:
            return None
        line, terminated = head, False
    else:
        line, terminated = head[:newline], True
    crlf = line.endswith(b"\r")
    if crlf:
        line = line[:-1]
    if line.startswith(b"#!python"):
        return Shebang("placeholder", line[2:], crlf=crlf, terminated=terminated)
    body = line[2:]
    rest = body.lstrip(b" \t")
    lead = body[: len(body) - len(rest)]
    if rest.startswith(b'"') and b'"' in rest[1:]:
        # setuptools quotes with Windows rules: #!"/a b/bin/python"
        end = rest.index(b'"', 1)
        return Shebang("plain", rest[1:end], rest[end + 1 :], "double", lead, crlf, terminated)
    cut = [at for at in (rest.find(b" "), rest.find(b"\t"), rest.find(b"\0")) if at >= 0]
    interp = rest[: min(cut)] if cut else rest
    if python_prefix(interp) is None:
        # The kernel cuts "/a b/bin/python" at the space; the path is still what was meant.
        interp = _spaced_python(rest) or interp
    return Shebang("plain", interp, rest[len(interp) :], "bare", lead, crlf, terminated)


def _spaced_python(rest: bytes) -> bytes | None:
    """The longest ``P/bin/python…`` with spaces in P that starts ``rest``, if any."""
    for end in range(len(rest), 0, -1):
        if end == len(rest) or rest[end : end + 1] in (b" ", b"\t"):
            candidate = rest[:end]
            if b" " in candidate and python_prefix(candidate) is not None:
                return candidate
    return None


def _parse_trampoline(head: bytes) -> Shebang | None:
    lines = _lines(head, 3)
    if lines is None or lines[0] != _SH_LINE + b"\n" or lines[2] != _PY_CLOSE + b"\n":
        return None
    exec_line = lines[1][:-1]
    if not exec_line.startswith(_EXEC_OPEN) or not exec_line.endswith(_EXEC_CLOSE):
        return None
    if exec_line.startswith(_PORTABLE_OPEN) and exec_line.endswith(b'"' + _EXEC_CLOSE):
        name = exec_line[len(_PORTABLE_OPEN) : -len(_EXEC_CLOSE) - 1]
        if _only(name, _PORTABLE_NAME):
            return Shebang("relocatable", name, quoting="double")
        return None
    if exec_line.startswith(_RELOCATABLE_OPEN):
        word = exec_line[len(_RELOCATABLE_OPEN) : -len(_EXEC_CLOSE)]
        parsed = _read_word(word)
        if parsed is None or parsed[1] != len(word) or parsed[2] != "single":
            return None
        return Shebang("relocatable", parsed[0], quoting="single")
    words = exec_line[len(_EXEC_OPEN) : -len(_EXEC_CLOSE)]
    parsed = _read_word(words)
    if parsed is None:
        return None
    interpreter, end, quoting = parsed
    args = words[end:]
    if args and not _valid_args(args):
        return None
    return Shebang("trampoline", interpreter, args, quoting)


def _valid_args(args: bytes) -> bool:
    """Arguments after the interpreter: plain words only, nothing the shell would expand."""
    return args.startswith(b" ") and all(_only(word, _SH_SAFE) for word in args.split(b" ") if word)


def _read_word(text: bytes) -> tuple[bytes, int, Quoting] | None:
    """Read one POSIX shell word from the start of ``text``.

    Returns its value, where it ends and how its first part was quoted. Anything the shell
    would expand (``$``, backquotes, globs) makes it None, except virtualenv's exact
    ``"$(printf '\\NNN…')"`` spelling of a path that is not UTF-8.
    """
    value = bytearray()
    pos = 0
    quoting: Quoting | None = None
    while pos < len(text) and text[pos : pos + 1] not in (b" ", b"\t"):
        char = text[pos : pos + 1]
        if char == b"'":
            end = text.find(b"'", pos + 1)
            if end < 0:
                return None
            value += text[pos + 1 : end]
            pos = end + 1
            quoting = quoting or "single"
        elif char == b'"':
            printf = _printf_word(text, pos)
            if printf is not None:
                value += printf[0]
                pos = printf[1]
                quoting = quoting or "printf"
                continue
            end = text.find(b'"', pos + 1)
            if end < 0:
                return None
            inner = text[pos + 1 : end]
            if any(c in inner for c in (b"$", b"`", b"\\")):
                return None
            value += inner
            pos = end + 1
            quoting = quoting or "double"
        else:
            end = len(text) - len(text[pos:].lstrip(_SH_SAFE))
            if end == pos:
                return None
            value += text[pos:end]
            pos = end
            quoting = quoting or "bare"
    if quoting is None:
        return None
    return bytes(value), pos, quoting


def quote(word: bytes, quoting: Quoting) -> bytes:
    """Quote ``word`` for a POSIX shell in the given spelling."""
    if quoting == "bare":
        return word
    if quoting == "double":
        return b'"' + word + b'"'
    if quoting == "printf":
        return b"\"$(printf '" + b"".join(b"\\%03o" % byte for byte in word) + b"')\""
    return b"'" + word.replace(b"'", b"'\"'\"'") + b"'"


def render(shebang: Shebang) -> bytes:
    """The exact bytes of a header: ``parse(render(s)) == s`` for every parsed ``s``."""
    newline = b"\r\n" if shebang.crlf else b"\n"
    if not shebang.terminated:
        newline = b"\r" if shebang.crlf else b""
    if shebang.form == "placeholder":
        return b"#!" + shebang.interpreter + newline
    if shebang.form == "plain":
        interp = shebang.interpreter
        if shebang.quoting == "double":
            interp = b'"' + interp + b'"'
        return b"#!" + shebang.lead + interp + shebang.args + newline
    if shebang.form == "relocatable" and shebang.quoting == "double":
        return render_relocatable(shebang.interpreter)
    word = quote(shebang.interpreter, shebang.quoting)
    open_ = _RELOCATABLE_OPEN if shebang.form == "relocatable" else _EXEC_OPEN
    return b"\n".join((_SH_LINE, open_ + word + shebang.args + _EXEC_CLOSE, _PY_CLOSE + b"\n"))


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def sh_quote(word: bytes) -> bytes:
    """Quote like ``shlex.quote``: bare when every byte is safe, else ``'…'``."""
    if _only(word, _SH_SAFE):
        return word
    return quote(word, "single")


def render_for(interpreter: bytes, args: bytes = b"", style: Style = "distlib") -> bytes:
    """The header the installer ``style`` writes for ``interpreter`` on a POSIX system.

    All of them write a plain shebang when the line fits in 127 bytes and the path has no
    space; otherwise the ``/bin/sh`` trampoline, each quoting the path its own way:
    distlib (pip) ``"…"`` around a path with a space (or, where distlib's own output would
    not run, any other shell metacharacter) and nothing otherwise; installer
    ``shlex.quote``; uv always ``'…'``; virtualenv's seeder ``shlex.quote``, and it also
    switches to the trampoline for tabs, quotes and backslashes.

    ``direct`` is how pip and installer replace a wheel's ``#!python`` line: always
    ``#!<interpreter>``, however long. Where the kernel could not run that line (a space,
    256 bytes or more before the newline) the distlib trampoline is written instead.
    """
    # The line with "#!" and its newline: at most 127 bytes for the installers' own rule,
    # under 257 (255 before the newline) for what the kernel runs.
    limit = KERNEL_LINE_LIMIT + 1 if style == "direct" else PLAIN_LINE_LIMIT
    plain = b" " not in interpreter and len(interpreter) + len(args) + 3 <= limit
    if style == "virtualenv" and (
        any(c in interpreter for c in b"\t\n\"'\\") or not _is_utf8(interpreter)
    ):
        plain = False
    if plain:
        return b"#!" + interpreter + args + b"\n"
    if style in ("distlib", "direct"):
        # distlib quotes only for a space; a path with another shell metacharacter would
        # then break the trampoline, so it gets the double quotes too.
        safe = _only(interpreter, _SH_SAFE)
        word = quote(interpreter, "bare" if safe else "double")
    elif style == "uv":
        word = quote(interpreter, "single")
    elif _is_utf8(interpreter):
        word = sh_quote(interpreter)
    else:
        word = quote(interpreter, "printf")
    return b"\n".join((_SH_LINE, _EXEC_OPEN + word + args + _EXEC_CLOSE, _PY_CLOSE + b"\n"))


def render_relocatable(name: bytes = b"python") -> bytes:
    """A trampoline that runs ``name`` from the directory the script really lives in."""
    if not _only(name, _PORTABLE_NAME):
        raise ValueError(f"not a plain interpreter name: {name!r}")
    exec_line = _PORTABLE_OPEN + name + b'"' + _EXEC_CLOSE
    return b"\n".join((_SH_LINE, exec_line, _PY_CLOSE + b"\n"))
