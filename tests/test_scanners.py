"""The hand-written scanners agree with the regular expressions they replace.

The package avoids ``re`` on the way to ``check`` (its import alone costs more than half of
Python's start-up). Each scanner is checked here against the expression it replaced, on
text built from the characters that matter to it; and RECORD's base64, encoded by hand for
a small venv, against the base64 module.
"""

from __future__ import annotations

import base64
import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from shebangfix import _temps, activate, layout, plan_files, pyvenv, record, relocate, shebang

# The expressions as they were.
PYTHON_NAME = re.compile(rb"(?:python|pypy)(?:[0-9]+(?:\.[0-9]+)?)?w?")
PYTHON_LINK = re.compile(r"python(?:[0-9]+(?:\.[0-9]+)?)?")
VERSION = re.compile(r"(?:python|pypy)([0-9]+\.[0-9]+)")
TEMP_NAME = re.compile(r"\..+\.shebangfix-[0-9a-f]{8}\.tmp")
LINE = re.compile(rb"^[ \t]*([^=\r\n]+?)[ \t]*=[ \t]*(.*?)[ \t]*\r?$", re.MULTILINE)
COMMAND = re.compile(rb"^([ \t]*command[ \t]*=[ \t]*)(.*?)([ \t]*\r?)$", re.MULTILINE)
CREATOR = re.compile(rb" -m (?:venv|virtualenv) ")
ASSIGNMENT = re.compile(
    rb"set \"VIRTUAL_ENV=([A-Za-z]:\\[^\"\r\n]*)\"|"
    rb"(?:(?<![$\w{])VIRTUAL_ENV(?:=|[ \t]+)|_virtualenv_dir=)"
    rb"(?:\"(/[^\"\n]*|[A-Za-z]:\\[^\"\n]*)\"|'(/[^'\n]*)'|(/[^\s;'\"]*|[A-Za-z]:\\[^\s;'\"]*))"
)
PROMPT_LINE = re.compile(rb"^.*(?:PROMPT|PS1|prompt|set_color).*$", re.MULTILINE)
HEADER = re.compile(rb"\A([^\n]*) shebangfix-relocatable quoting=([a-z,-]*) name=([^\n]*)\n")


def words(*pieces: bytes, max_size: int = 12) -> st.SearchStrategy[bytes]:
    """Byte strings made of whole ``pieces`` (tokens that matter) and single bytes."""
    return st.lists(st.sampled_from(pieces), max_size=max_size).map(b"".join)


NAME_PARTS = (b"python", b"pypy", b"py", b"3", b"11", b".", b"w", b"x", b"")


@given(words(*NAME_PARTS, max_size=6))
def test_python_names(name: bytes) -> None:
    assert shebang._is_python_name(name) == bool(PYTHON_NAME.fullmatch(name))
    text = name.decode()
    assert plan_files._is_python_link(text) == bool(PYTHON_LINK.fullmatch(text))
    match = VERSION.fullmatch(text)
    assert layout._version_in(text) == (match.group(1) if match else None)


@given(st.text(alphabet=".abshebangfix-0123456789tmpz", max_size=40))
@settings(max_examples=300)
def test_temp_names(name: str) -> None:
    assert _temps.is_temp_name(name) == bool(TEMP_NAME.fullmatch(name)), name


def test_temp_names_made_by_the_writer_are_recognised() -> None:
    for _ in range(20):
        path = _temps.temp_name("/venv/bin/tool")
        name = path.rsplit("/", 1)[1]
        assert TEMP_NAME.fullmatch(name) and _temps.is_temp_name(name)


CONFIG_PARTS = (
    b"home",
    b"command",
    b"Version",
    b" ",
    b"\t",
    b"=",
    b"\n",
    b"\r\n",
    b"\r",
    b"/usr/bin/python3",
    b" -m venv ",
    b" -m virtualenv ",
    b" --prompt x",
    b" /build/.venv",
    b" C:\\venv",
    b" /a b",
)


def old_parse(content: bytes) -> dict[str, str]:
    return {
        key.strip().lower().decode("utf-8", "surrogateescape"): value.decode(
            "utf-8", "surrogateescape"
        )
        for key, value in LINE.findall(content)
    }


def old_command_prefix(content: bytes) -> bytes | None:
    match = COMMAND.search(content)
    if match is None:
        return None
    command = match.group(2)
    creator = CREATOR.search(command)
    if creator is None:
        return None
    tail = command[creator.end() - 1 :]
    start = re.search(rb" (?:/|[A-Za-z]:\\)", tail)
    return None if start is None else tail[start.start() + 1 :]


@given(words(*CONFIG_PARTS, max_size=16))
@settings(max_examples=400)
def test_pyvenv_cfg(content: bytes) -> None:
    assert pyvenv.parse(content) == old_parse(content)
    assert pyvenv.command_prefix(content) == old_command_prefix(content)


@given(words(*CONFIG_PARTS, max_size=16))
def test_command_rewrite_changes_only_the_directory(content: bytes) -> None:
    current = pyvenv.command_prefix(content)
    new = pyvenv.rewrite_command(content, [current or b"/x"], b"/opt/venv")
    if current is None or current == b"/opt/venv":
        assert new == content
    else:
        assert pyvenv.command_prefix(new) == b"/opt/venv"
        match = COMMAND.search(content)
        assert match is not None
        assert (
            new == content[: match.end(2) - len(current)] + b"/opt/venv" + content[match.end(2) :]
        )


ACTIVATE_PARTS = (
    b"VIRTUAL_ENV",
    b"_virtualenv_dir=",
    b'set "',
    b"=",
    b" ",
    b"\t",
    b"\n",
    b"\r",
    b'"',
    b"'",
    b"$",
    b"{",
    b"x",
    b";",
    b"/build/.venv",
    b"/b",
    b"C:\\v",
    b"r#",
    b"#",
    b"(.venv) ",
    b".venv",
    b"PS1",
    b"prompt",
)


def old_embedded(content: bytes) -> set[bytes]:
    found = set()
    for match in ASSIGNMENT.finditer(content):
        value = match.group(1) or match.group(2) or match.group(3) or match.group(4)
        if value:
            found.add(value)
    return found


def old_occurrences(content: bytes, olds: list[bytes], shlex_quoted: bool) -> list[object]:
    olds = sorted({p for p in olds if p}, key=len, reverse=True)
    found: list[object] = []
    if not olds:
        return found
    pattern = re.compile(b"|".join(re.escape(p) for p in olds))
    pos = 0
    for match in pattern.finditer(content):
        start, end = match.span()
        before = content[start - 1] if start else ord("\n")
        after = content[end] if end < len(content) else ord("\n")
        if before in b"\"'" and after == before:
            start, end = start - 1, end + 1
            if before == ord('"'):
                context = "dq"
            elif content[max(start - 2, 0) : start] == b"r#" and content[end : end + 1] == b"#":
                context, start, end = "nu-raw", start - 2, end + 1
            else:
                context = "shlex" if shlex_quoted else "sq"
        elif before == ord("=") and after == ord('"'):
            context = "raw"
        elif before in b" \t=\n" and after in b" \t;\n\r":
            context = "shlex"
        else:
            continue
        if start < pos:
            continue
        pos = end
        found.append((start, end, context))
    return found


def old_rename_prompt(content: bytes, old_name: bytes, new_name: bytes) -> bytes:
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

    return PROMPT_LINE.sub(lambda line: quoted.sub(swap, line.group()), content)


@given(words(*ACTIVATE_PARTS, max_size=20))
@settings(max_examples=500)
@example(b"${VIRTUAL_ENV=/b}")
@example(b"$VIRTUAL_ENV=/b xVIRTUAL_ENV=/b")
@example(b"_virtualenv_dir=/build/.venv_virtualenv_dir=/b")
@example(b'set "VIRTUAL_ENV=C:\\v"\nset "VIRTUAL_ENV=/b"')
@example(b"VIRTUAL_ENV '/b'\nVIRTUAL_ENV 'C:\\v'\nVIRTUAL_ENV=\"/b\nx\"")
def test_activate_assignments(content: bytes) -> None:
    assert activate.embedded_prefixes(content) == old_embedded(content)


@given(words(*ACTIVATE_PARTS, max_size=20), st.booleans())
@settings(max_examples=500)
def test_activate_occurrences(content: bytes, shlex_quoted: bool) -> None:
    olds = [b"/build/.venv", b"/b", b"/build"]
    found = list(activate.occurrences(content, olds, shlex_quoted=shlex_quoted))
    assert found == old_occurrences(content, olds, shlex_quoted)


@given(words(*ACTIVATE_PARTS, max_size=20))
@settings(max_examples=500)
def test_prompt_rename(content: bytes) -> None:
    for old, new in ((b".venv", b"venv"), (b"x", b"y"), (b"b", b"b2")):
        assert activate.rename_prompt(content, old, new) == old_rename_prompt(content, old, new)


HEADER_PARTS = (
    b"#",
    b" ",
    b"shebangfix-relocatable",
    b" quoting=",
    b"dq,sq",
    b"shlex",
    b"X",
    b" name=",
    b".venv",
    b"\n",
    b"\r\n",
)


@given(words(*HEADER_PARTS, max_size=12))
@settings(max_examples=400)
def test_relocatable_header(content: bytes) -> None:
    match = HEADER.match(content)
    assert relocate._header(content) == (match.groups() if match else None)


@given(st.binary(max_size=70))
@example(b"")
@example(bytes(32))
@example(b"\xff" * 64)
def test_record_base64_by_hand_and_by_binascii(raw: bytes) -> None:
    expected = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    record._encoded = 0  # the first digests of a run are encoded by hand
    assert record.urlsafe_b64(raw) == expected
    record._encoded = record._BY_HAND  # later ones by binascii
    assert record.urlsafe_b64(raw) == expected
