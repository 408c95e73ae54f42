"""The path-bearing text formats on their own: activate scripts, pyvenv.cfg and RECORD."""

from __future__ import annotations

import ast
from pathlib import Path
from types import ModuleType

import pytest

from shebangfix import activate, bindir, problems, pyvenv, record

OLD = b"/build/.venv"
NEW = b"/opt/my venv"


@pytest.mark.parametrize(
    ("line", "shlex_quoted", "expected"),
    [
        pytest.param(
            b'VIRTUAL_ENV="/build/.venv"\n', False, b'VIRTUAL_ENV="/opt/my venv"\n', id="venv-dq"
        ),
        pytest.param(
            b"VIRTUAL_ENV='/build/.venv'\n", False, b"VIRTUAL_ENV='/opt/my venv'\n", id="uv-sq"
        ),
        pytest.param(
            b"    VIRTUAL_ENV=/build/.venv\n",
            True,
            b"    VIRTUAL_ENV='/opt/my venv'\n",
            id="shlex-bare",
        ),
        pytest.param(
            b"if [ ! -d /build/.venv ] &&\n",
            True,
            b"if [ ! -d '/opt/my venv' ] &&\n",
            id="virtualenv-guard",
        ),
        pytest.param(
            b"source '/build/.venv'\"/\"'bin'\"/deactivate.csh\"\n",
            False,
            b"source '/opt/my venv'\"/\"'bin'\"/deactivate.csh\"\n",
            id="virtualenv-csh",
        ),
        pytest.param(
            b"let virtual_env = r#'/build/.venv'#\n",
            False,
            b"let virtual_env = r#'/opt/my venv'#\n",
            id="nu",
        ),
        pytest.param(
            b'@for %%i in ("/build/.venv") do @set "VIRTUAL_ENV=%%~fi"\r\n',
            False,
            b'@for %%i in ("/opt/my venv") do @set "VIRTUAL_ENV=%%~fi"\r\n',
            id="bat-crlf",
        ),
        pytest.param(
            b'X="/build/.venv2"\n', False, b'X="/build/.venv2"\n', id="longer-path-untouched"
        ),
        pytest.param(
            b'PATH="$VIRTUAL_ENV/bin:$PATH"\n',
            False,
            b'PATH="$VIRTUAL_ENV/bin:$PATH"\n',
            id="variable",
        ),
    ],
)
def test_activate_paths_keep_each_flavours_quoting(
    line: bytes, shlex_quoted: bool, expected: bytes
) -> None:
    assert activate.rewrite_paths(line, [OLD], NEW, shlex_quoted=shlex_quoted) == expected


def test_activate_prefixes_are_learned_from_assignments_only() -> None:
    text = b'VIRTUAL_ENV="/a"\nexport PATH="$VIRTUAL_ENV/bin:$PATH"\nset -gx VIRTUAL_ENV \'/b\'\n'
    assert activate.embedded_prefixes(text) == {b"/a", b"/b"}


def test_prompt_follows_the_directory_name() -> None:
    text = b'PS1="(.venv) ${PS1:-}"\nVIRTUAL_ENV_PROMPT=".venv"\necho ".venv"\n'
    renamed = activate.rename_prompt(text, b".venv", b"venv")
    assert renamed == b'PS1="(venv) ${PS1:-}"\nVIRTUAL_ENV_PROMPT="venv"\necho ".venv"\n'


def test_pyvenv_command_is_rewritten_and_nothing_else() -> None:
    cfg = (
        b"home = /usr/bin\r\ninclude-system-site-packages = false\r\n"
        b'command = /usr/bin/python3 -m venv --prompt="a b" /build/.venv\r\n'
    )
    assert pyvenv.command_prefix(cfg) == OLD
    new = pyvenv.rewrite_command(cfg, [OLD], NEW)
    assert new == cfg.replace(b" /build/.venv\r\n", b" /opt/my venv\r\n")
    assert pyvenv.parse(new)["home"] == "/usr/bin"
    assert pyvenv.rewrite_command(cfg, [b"/elsewhere"], NEW) == cfg


def test_record_rows_keep_endings_and_empty_hashes() -> None:
    content = (
        b"../../../bin/demo,sha256=abc,10\r\n"
        b"../../../bin/pip,,\r\n"
        b"demo/__init__.py,sha256=def,5\r\n"
    )
    new = record.rewrite(content, {0: (record.digest(b"hello"), 5)})
    assert new.splitlines(keepends=True)[0] == (
        b"../../../bin/demo,sha256=LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ,5\r\n"
    )
    assert new.splitlines(keepends=True)[1:] == content.splitlines(keepends=True)[1:]


def _static_literal(module: ModuleType, name: str) -> tuple[str, ...]:
    """The members of ``name = Literal[...]``, as written for type checkers in ``module``."""
    tree = ast.parse(Path(str(module.__file__)).read_text())
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and [getattr(t, "id", None) for t in node.targets] == [name]
            and isinstance(node.value, ast.Subscript)
        ):
            members = node.value.slice
            assert isinstance(members, ast.Tuple)
            return tuple(ast.literal_eval(member) for member in members.elts)
    raise AssertionError(f"{module.__name__} has no {name} = Literal[...]")


def test_closed_sets_agree_with_their_types_and_the_readme() -> None:
    # Typing is not imported at run time, so each Literal is written out beside the tuple
    # the code uses: the two must not drift, nor the problem codes from the README.
    assert _static_literal(problems, "ProblemCode") == problems.PROBLEM_CODES
    assert _static_literal(bindir, "EntryKind") == bindir.ENTRY_KINDS
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    table = readme.split("## Problem codes", 1)[1].split("\n## ", 1)[0]
    documented = tuple(line.split("`")[1] for line in table.splitlines() if line.startswith("| `"))
    assert documented == problems.PROBLEM_CODES
