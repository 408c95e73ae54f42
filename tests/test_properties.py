"""Properties of a whole fix for arbitrary prefixes: idempotent, body-keeping, injection-free."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import shebangfix
from shebangfix.layout import check_prefix
from shebangfix.shebang import parse, render_for

if TYPE_CHECKING:
    from shebangfix.shebang import Style
from test_safety import OLD, make_fake_venv

# Path components with spaces, shell metacharacters and non-ASCII letters; what a prefix
# may not hold (quotes, $, `, \, !, %, control characters) is refused before any write.
_component = st.text(
    alphabet=st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters="/\"'\\$`!%"),
    min_size=1,
    max_size=30,
).filter(lambda s: s not in (".", "..") and s == s.strip())
# Each shell sources its activate flavour and prints VIRTUAL_ENV through printenv, which
# shows the value's bytes as they are.
_SOURCE = [
    ["sh", "-c", '. "$1/activate"; printenv VIRTUAL_ENV', "-"],
    ["fish", "-c", 'source "$argv[1]/activate.fish"; printenv VIRTUAL_ENV'],
    ["tcsh", "-c", 'source "$BIN/activate.csh"; printenv VIRTUAL_ENV'],
]
_prefixes = st.lists(_component, min_size=1, max_size=4).map(lambda parts: "/" + "/".join(parts))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_prefixes, st.binary(max_size=300))
def test_fix_for_any_prefix_is_idempotent_keeps_bodies_and_activates(
    prefix: str, body: bytes
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        venv = make_fake_venv(Path(tmp) / "build")
        script = venv / "bin" / "tool"
        script.write_bytes(f"#!{OLD}/bin/python\n".encode() + body)
        sentinel = Path(tmp) / "sentinel"
        target = check_prefix(prefix)

        first = shebangfix.fix(venv, prefix=target)
        assert first.ok, first.problems
        data = script.read_bytes()
        parsed = parse(data)
        assert parsed is not None
        assert parsed.interpreter == os.fsencode(target.rstrip("/") + "/bin/python")
        assert data.endswith(body)

        before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in venv.rglob("*") if p.is_file()}
        second = shebangfix.fix(venv, prefix=target)
        assert second.ok and second.changes == ()
        after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in venv.rglob("*") if p.is_file()}
        assert after == before
        assert shebangfix.check(venv, prefix=target).ok

        for command in _SOURCE:
            if shutil.which(command[0]) is None:
                continue
            sourced = subprocess.run(
                [*command, str(venv / "bin")],
                capture_output=True,
                cwd=tmp,
                timeout=30,
                env={**os.environ, "BIN": str(venv / "bin")},
            )
            assert sourced.stdout == os.fsencode(target) + b"\n", (command[0], sourced)
        assert not sentinel.exists()


_refused = frozenset(b"\"'\\$`!%\x7f") | frozenset(range(0x20))


@given(
    st.binary(min_size=1, max_size=200).filter(lambda b: not any(c in _refused for c in b)),
    st.sampled_from(["distlib", "installer", "uv", "virtualenv", "direct"]),
)
def test_render_for_is_stable(path: bytes, style: Style) -> None:
    """What is written parses back to the same interpreter, and rendering again is a no-op."""
    interpreter = b"/" + path + b"/bin/python"
    header = render_for(interpreter, b"", style)
    parsed = parse(header + b"import sys\n")
    assert parsed is not None
    assert parsed.interpreter == interpreter
    assert render_for(parsed.interpreter, parsed.args, style) == header
