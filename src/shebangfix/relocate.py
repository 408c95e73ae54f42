"""Turn activate scripts into ones that find the venv from their own location, and back.

Each whole occurrence of the venv path is replaced by an expression for "the directory
above this file's directory", computed at activation time. A header comment records, in
order, how each occurrence was quoted (and the prompt name some creators bake in), so that
``make_absolute`` can write back exactly what the creator would write at a given path.

How each shell finds the file being sourced:

* sh: ``$BASH_SOURCE`` in bash, ``%x`` in zsh, ``${.sh.file}`` in ksh93 (mksh would die
  on that syntax, so it is asked for only where ``$KSH_VERSION`` says 93); dash, BusyBox ash
  and mksh expose nothing, but keep the sourced file open, so its path is read from
  ``/proc/$$/fd`` (Linux only);
* csh/tcsh: ``/proc/$$/fd`` likewise;
* fish: ``status filename``; nu: ``path self``; xonsh: ``__file__``; cmd: ``%~dp0``.
"""

from __future__ import annotations

from ._struct import frozen
from .activate import occurrences, quote_for, rename_prompt, splice

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .activate import Context

__all__ = [
    "foreign",
    "is_relocatable",
    "make_absolute",
    "make_relocatable",
    "replace_foreign",
    "supported",
]

_TAG = b"shebangfix-relocatable"
_END = _TAG + b"-end\n"
_VAR = b"_shebangfix_venv"

_SH = b"""\
%(var)s=
if [ -n "${BASH_SOURCE-}" ]; then
    %(var)s=$BASH_SOURCE
elif [ -n "${ZSH_VERSION-}" ]; then
    eval '%(var)s=${(%%):-%%x}'
elif [ -n "${KSH_VERSION-}" ]; then
    case $KSH_VERSION in
        *" 93"*) eval '%(var)s=${.sh.file}' ;;
    esac
fi
if [ -z "$%(var)s" ]; then
    for %(var)s_fd in /proc/$$/fd/*; do
        case "$(readlink "$%(var)s_fd" 2>/dev/null)" in
            */%(name)s) %(var)s=$(readlink "$%(var)s_fd") ;;
        esac
    done
    unset %(var)s_fd
fi
%(var)s=$(cd -P "$(dirname "$%(var)s")/.." && pwd -P)
"""

_CSH = b"""\
set %(var)s = ""
foreach %(var)s_fd ( /proc/$$/fd/* )
    set %(var)s_file = "`readlink $%(var)s_fd:q`"
    if ( "$%(var)s_file" =~ */%(name)s ) set %(var)s = "$%(var)s_file:h:h"
end
unset %(var)s_fd %(var)s_file
"""

_FISH = b"""\
set -g %(var)s (realpath (dirname (status filename))/..)
"""

_XSH_EXPR = (
    b"__import__('os').path.dirname(__import__('os').path.dirname("
    b"__import__('os').path.realpath(__file__)))"
)
_NU_EXPR = b"(path self | path dirname | path dirname)"
_BAT_EXPR = b'"%~dp0.."'


# uv's own relocatable spellings (``uv venv --relocatable``), with the quoting uv gives the
# path in the same place of an absolute venv.
_UV_FORMS: tuple[tuple[bytes, Context], ...] = (
    (b'\'\'"$(dirname -- "$(dirname -- "$(realpath -- "$SCRIPT_PATH")")")"\'\'', "sq"),
    (b"''(dirname -- (dirname -- (realpath -- (status -f))))''", "sq"),
    (b"(path self | path dirname | path dirname)", "sq"),
    (b'"%~dp0.."', "dq"),
)


_UV_KSH_LINE = b'SCRIPT_PATH="${.sh.file}"'
_KSH93_ONLY = b"case $KSH_VERSION in *\" 93\"*) eval 'SCRIPT_PATH=${.sh.file}' ;; esac"


def foreign(content: bytes) -> list[tuple[int, int, Context]]:
    """Where uv's relocatable expressions stand, as ``(start, end, context)``."""
    found = []
    for form, context in _UV_FORMS:
        start = content.find(form)
        while start >= 0:
            found.append((start, start + len(form), context))
            start = content.find(form, start + len(form))
    return sorted(found)


def replace_foreign(content: bytes, prefix: bytes) -> bytes:
    """uv's relocatable expressions replaced by ``prefix``, quoted as uv quotes it."""
    return splice(content, foreign(content), lambda context: quote_for(context, prefix))


@frozen
class _Flavour:
    comment: bytes
    """How a comment line starts."""
    prelude: bytes
    """Code that sets the variable the markers read (may be empty)."""
    marker: bytes
    """What stands where the path stood."""


def _flavour(name: str) -> _Flavour | None:
    var_marker = b'"$' + _VAR + b'"'
    if name in ("activate", "activate.sh"):
        return _Flavour(b"#", _SH, var_marker)
    if name == "activate.csh":
        return _Flavour(b"#", _CSH, var_marker)
    if name == "activate.fish":
        return _Flavour(b"#", _FISH, var_marker)
    if name == "activate.nu":
        return _Flavour(b"#", b"", _NU_EXPR)
    if name == "activate.xsh":
        return _Flavour(b"#", b"", _XSH_EXPR)
    if name == "activate.bat":
        return _Flavour(b"@REM", b"", _BAT_EXPR)
    return None


def supported(name: str) -> bool:
    """Whether an activate file of this name can be made relocatable."""
    return _flavour(name) is not None


def _header(content: bytes) -> tuple[bytes, bytes, bytes] | None:
    """The first line's comment start, quoting contexts and prompt name, if ours."""
    end = content.find(b"\n")
    mark = b" " + _TAG + b" quoting="
    at = content.rfind(mark, 0, max(end, 0))
    if at < 0:
        return None
    quoting, sep, name = content[at + len(mark) : end].partition(b" name=")
    if not sep or quoting.strip(b"abcdefghijklmnopqrstuvwxyz,-"):
        return None
    return content[:at], quoting, name


def is_relocatable(content: bytes) -> bool:
    """Whether ``make_relocatable`` wrote this content."""
    return _header(content) is not None


def make_relocatable(
    content: bytes,
    name: str,
    old_prefixes: set[bytes],
    prompt_name: bytes,
    *,
    shlex_quoted: bool,
    convert: bool = False,
) -> bytes:
    """Replace every whole occurrence of an old prefix with a location-finding expression.

    ``convert`` replaces uv's relocatable expressions too (its sh one needs ``realpath`` and
    a shell that tells the sourced file's name, which dash and BusyBox do not).
    """
    flavour = _flavour(name)
    if flavour is None or is_relocatable(content):
        return content
    spots = list(occurrences(content, old_prefixes, shlex_quoted=shlex_quoted))
    if convert:
        taken = [(s, e) for s, e, _ in spots]
        spots += [
            spot
            for spot in foreign(content)
            if not any(s < spot[1] and spot[0] < e for s, e in taken)
        ]
    if not spots:
        return content
    spots.sort()
    contexts = [context for _, _, context in spots]
    body = splice(content, spots, lambda _: flavour.marker)
    if convert:
        # uv's sh script asks every ksh for ${.sh.file}, which mksh dies on.
        body = body.replace(_UV_KSH_LINE, _KSH93_ONLY)
    crlf = content.count(b"\n") == content.count(b"\r\n") > 0
    newline = b"\r\n" if crlf else b"\n"
    header = b"%s %s quoting=%s name=%s\n" % (
        flavour.comment,
        _TAG,
        ",".join(contexts).encode(),
        prompt_name,
    )
    prelude = flavour.prelude % {b"var": _VAR, b"name": name.encode()}
    block = header + prelude + flavour.comment + b" " + _END
    return block.replace(b"\n", newline) + body


def make_absolute(content: bytes, prefix: bytes, *, rename: bool) -> bytes:
    """Undo ``make_relocatable`` for a venv at ``prefix``: what its creator writes there."""
    crlf = content.count(b"\n") == content.count(b"\r\n") > 0
    normalised = content.replace(b"\r\n", b"\n") if crlf else content
    header = _header(normalised)
    end = normalised.find(_END)
    if header is None or end < 0:
        return content
    _, quoting, old_name = header
    body = normalised[end + len(_END) :]
    out = bytearray()
    pos = 0
    for context in quoting.decode().split(","):
        if not context:
            continue
        found = [(at, m) for m in _MARKERS if (at := body.find(m, pos)) >= 0]
        if not found:
            return content
        start, marker = min(found)
        out += body[pos:start] + quote_for(context, prefix)  # type: ignore[arg-type]
        pos = start + len(marker)
    out += body[pos:]
    result = bytes(out).replace(_KSH93_ONLY, _UV_KSH_LINE)
    if rename:
        result = rename_prompt(result, old_name, prefix.rsplit(b"/", 1)[-1])
    return result.replace(b"\n", b"\r\n") if crlf else result


_MARKERS = (b'"$' + _VAR + b'"', _NU_EXPR, _XSH_EXPR, _BAT_EXPR)
