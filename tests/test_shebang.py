"""Parsing and rendering every launcher form, on real bytes."""

from __future__ import annotations

import os
import subprocess
import tempfile
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from shebangfix.shebang import (
    Shebang,
    _spaced_python,
    parse,
    python_prefix,
    render,
    render_for,
)

if TYPE_CHECKING:
    from shebangfix.shebang import Quoting, Style

BODY = b"# -*- coding: utf-8 -*-\nimport re\nimport sys\n"
LONG = b"/build/" + b"x" * 130 + b"/bin/python"

CASES = [
    pytest.param(
        b"#!/build/.venv/bin/python\n",
        Shebang("plain", b"/build/.venv/bin/python"),
        id="plain",
    ),
    pytest.param(
        b"#!/build/.venv/bin/python3.11 -E -s\n",
        Shebang("plain", b"/build/.venv/bin/python3.11", b" -E -s"),
        id="plain-args",
    ),
    pytest.param(
        b"#! \t/v/bin/python\n", Shebang("plain", b"/v/bin/python", lead=b" \t"), id="lead"
    ),
    pytest.param(b"#!/v/bin/python\r\n", Shebang("plain", b"/v/bin/python", crlf=True), id="crlf"),
    pytest.param(
        b"#!/v/bin/python", Shebang("plain", b"/v/bin/python", terminated=False), id="no-newline"
    ),
    pytest.param(
        b"#!/a b/bin/python -E\n",
        Shebang("plain", b"/a b/bin/python", b" -E"),
        id="space-cut-by-kernel",
    ),
    pytest.param(b"#!python\n", Shebang("placeholder", b"python"), id="placeholder"),
    pytest.param(b"#!pythonw -E\n", Shebang("placeholder", b"pythonw -E"), id="placeholder-gui"),
    pytest.param(
        b'#!"/a b/bin/python"\n',
        Shebang("plain", b"/a b/bin/python", quoting="double"),
        id="setuptools-quoted",
    ),
    pytest.param(
        b"#!/bin/sh\n'''exec' " + LONG + b' "$0" "$@"\n' + b"' '''\n",
        Shebang("trampoline", LONG),
        id="distlib-long",
    ),
    pytest.param(
        b"#!/bin/sh\n'''exec' \"/a b/bin/python3\" \"$0\" \"$@\"\n' '''\n",
        Shebang("trampoline", b"/a b/bin/python3", quoting="double"),
        id="distlib-space",
    ),
    pytest.param(
        b"#!/bin/sh\n'''exec' '/u sp'\"'\"'q/bin/python' \"$0\" \"$@\"\n' '''\n",
        Shebang("trampoline", b"/u sp'q/bin/python", quoting="single"),
        id="uv-quote",
    ),
    pytest.param(
        b"#!/bin/sh\n'''exec' \"$(printf '\\057\\351')\" \"$0\" \"$@\"\n' '''\n",
        Shebang("trampoline", b"/\xe9", quoting="printf"),
        id="virtualenv-printf",
    ),
    pytest.param(
        b"#!/bin/sh\n'''exec' /a/bin/python -E \"$0\" \"$@\"\n' '''\n",
        Shebang("trampoline", b"/a/bin/python", b" -E"),
        id="trampoline-args",
    ),
    pytest.param(
        b"#!/bin/sh\n'''exec' \"$(dirname -- \"$(realpath -- \"$0\")\")\"/'python' "
        b'"$0" "$@"\n' + b"' '''\n",
        Shebang("relocatable", b"python", quoting="single"),
        id="uv-relocatable",
    ),
]


@pytest.mark.parametrize(("data", "expected"), CASES)
def test_parse_and_render_round_trip(data: bytes, expected: Shebang) -> None:
    parsed = parse(data + BODY if data.endswith(b"\n") else data)
    assert parsed == expected
    assert render(parsed) == data


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"#", id="one-byte"),
        pytest.param(b"\xef\xbb\xbf#!/v/bin/python\n", id="bom"),
        pytest.param(b"import sys\n", id="no-shebang"),
    ],
)
def test_not_a_shebang(data: bytes) -> None:
    assert parse(data) is None


def test_trampoline_with_shell_expansion_is_not_ours() -> None:
    data = b"#!/bin/sh\n'''exec' \"$HOME/bin/python\" \"$0\" \"$@\"\n' '''\n"
    parsed = parse(data)
    assert parsed is not None
    assert parsed.form == "plain"
    assert parsed.interpreter == b"/bin/sh"


def test_line_longer_than_the_head_is_not_parsed() -> None:
    assert parse(b"#!/" + b"x" * 100, complete=False) is None


@pytest.mark.parametrize(
    ("interpreter", "prefix"),
    [
        (b"/opt/venv/bin/python", b"/opt/venv"),
        (b"/opt/venv/bin/python3.12", b"/opt/venv"),
        (b"/bin/python3", b"/"),
        (b"/opt/venv/bin/pypy3", b"/opt/venv"),
        (b"/usr/bin/perl", None),
        (b"/opt/venv/lib/python", None),
        (b"python", None),
        (b"bin/python", None),
    ],
)
def test_python_prefix(interpreter: bytes, prefix: bytes | None) -> None:
    assert python_prefix(interpreter) == prefix


SPACE = b"/a b/bin/python"
QUOTE = b"/it's/bin/python"


@pytest.mark.parametrize(
    ("style", "interpreter", "expected_line2"),
    [
        ("distlib", b"/short/bin/python", None),
        ("distlib", LONG, b"'''exec' " + LONG + b' "$0" "$@"'),
        ("distlib", SPACE, b'\'\'\'exec\' "/a b/bin/python" "$0" "$@"'),
        ("installer", SPACE, b"'''exec' '/a b/bin/python' \"$0\" \"$@\""),
        ("installer", LONG, b"'''exec' " + LONG + b' "$0" "$@"'),
        ("uv", LONG, b"'''exec' '" + LONG + b'\' "$0" "$@"'),
        ("uv", QUOTE, None),
        ("virtualenv", QUOTE, b"'''exec' '/it'\"'\"'s/bin/python' \"$0\" \"$@\""),
        ("virtualenv", b"/\xe9/bin/python", b"'''exec' \"$(printf '"),
    ],
)
def test_render_for_matches_each_installer(
    style: Style, interpreter: bytes, expected_line2: bytes | None
) -> None:
    header = render_for(interpreter, b"", style)
    if expected_line2 is None:
        assert header == b"#!" + interpreter + b"\n"
    else:
        lines = header.split(b"\n")
        assert lines[0] == b"#!/bin/sh"
        assert lines[1].startswith(expected_line2)
        assert lines[2:] == [b"' '''", b""]
        parsed = parse(header)
        assert parsed is not None
        assert parsed.interpreter == interpreter


def test_length_rule_counts_hash_bang_and_newline() -> None:
    fits = b"/" + b"p" * (127 - 3 - len(b"/bin/python") - 1) + b"/bin/python"
    assert len(b"#!" + fits + b"\n") == 127
    assert render_for(fits).startswith(b"#!/")
    assert render_for(b"/p" + fits).startswith(b"#!/bin/sh\n")
    assert render_for(fits, b" -E").startswith(b"#!/bin/sh\n")


# Property tests ------------------------------------------------------------------------

_path_bytes = st.binary(min_size=1, max_size=60).filter(
    lambda b: not any(c in b for c in b' \t\0\n\r"')
)
_safe_word = st.from_regex(rb"\A[A-Za-z0-9_@%+=:,./-]{1,12}\Z")
_args = st.lists(_safe_word, max_size=3).map(lambda ws: b"".join(b" " + w for w in ws))


@st.composite
def shebangs(draw: st.DrawFn) -> Shebang:
    form = draw(st.sampled_from(["plain", "trampoline", "placeholder"]))
    if form == "placeholder":
        rest = draw(st.binary(max_size=20).filter(lambda b: b"\n" not in b and b"\r" not in b))
        return Shebang("placeholder", b"python" + rest, crlf=draw(st.booleans()))
    if form == "plain":
        interp = b"/" + draw(_path_bytes)
        lead = draw(st.sampled_from([b"", b" ", b"\t "]))
        args = draw(_args)
        # A line that reads as "/a b/bin/python" is parsed as a spaced path, by design.
        assume(_spaced_python(interp + args) in (None, interp))
        return Shebang(
            "plain", interp, args, "bare", lead, draw(st.booleans()), draw(st.booleans())
        )
    quoting: Quoting = draw(st.sampled_from(["bare", "double", "single", "printf"]))
    if quoting == "bare":
        interp = draw(_safe_word)
    elif quoting == "double":
        interp = draw(_path_bytes.filter(lambda b: not any(c in b for c in b"$`\\")))
    else:
        interp = draw(st.binary(min_size=1, max_size=60).filter(lambda b: b"\n" not in b))
    return Shebang("trampoline", interp, draw(_args), quoting)


@given(shebangs())
def test_parse_render_property(shebang: Shebang) -> None:
    data = render(shebang)
    assert parse(data + b"import sys\n" if shebang.terminated else data) == shebang


@given(shebangs(), st.binary(max_size=200))
def test_body_bytes_are_kept(shebang: Shebang, body: bytes) -> None:
    if not shebang.terminated:
        return
    data = render(shebang) + body
    parsed = parse(data)
    assert parsed is not None
    assert data[len(render(parsed)) :] == body


_dir_name = st.binary(min_size=1, max_size=40).filter(
    lambda b: b"\0" not in b and b"/" not in b and b"\n" not in b and b not in (b".", b"..")
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_dir_name, st.sampled_from(["distlib", "installer", "uv", "virtualenv"]))
def test_trampoline_run_by_sh_execs_exactly_that_path(name: bytes, style: Style) -> None:
    """For any directory name, the trampoline written for it runs that very interpreter."""
    if style == "distlib" and any(c in name for c in b'"$`\\'):
        return  # distlib cannot express these; shebangfix refuses such prefixes
    with tempfile.TemporaryDirectory() as tmp:
        base = os.fsencode(tmp)
        # Pad so every style must use the trampoline rather than a plain #! line.
        directory = os.path.join(base, name, b"p" * 120)
        os.makedirs(os.path.join(directory, b"bin"))
        fake = os.path.join(directory, b"bin", b"python")
        with open(fake, "wb") as f:
            f.write(b'#!/bin/sh\nprintf %s "$0"\n')
        os.chmod(fake, 0o755)
        script = os.path.join(base, b"script")
        with open(script, "wb") as f:
            f.write(render_for(fake, b"", style) + b"import sys\n")
        out = subprocess.run(["sh", script], capture_output=True, timeout=30, check=True)
        assert out.stdout == fake
