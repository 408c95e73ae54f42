"""State shared by the planners while they look at one venv: the target, what is known of
the venv's past locations, and the problems, changes and edits found so far."""

from __future__ import annotations

import os

from . import record
from ._struct import field, mutable
from .layout import Venv, local_path
from .problems import Change, Edit, Problem

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .problems import ProblemCode

__all__ = ["Context", "text"]


def text(data: bytes) -> str:
    """A path for a message."""
    return os.fsdecode(data)


@mutable
class Context:
    """What one planning pass knows and has found."""

    venv: Venv
    prefix: bytes
    """The target prefix."""
    known: set[bytes]
    """Paths the venv has lived at, learned from the venv itself."""
    rows: dict[str, tuple[record.Dist, record.Row]]
    """RECORD rows of the files in bin/, by venv-relative path."""
    relocatable: bool = False
    """Make the venv location-independent rather than fixed to ``prefix``."""
    convert_relocatable: bool = False
    """Also replace relocatable forms written by others (uv's needs ``realpath``)."""
    python: str | None = None
    """A base interpreter to re-point the venv to."""
    keep_edits: bool = True
    """Keep the edits (to write them); reports need only the problems and changes."""
    problems: list[Problem] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)
    new_content: dict[str, bytes] = field(default_factory=dict)
    """Planned content of files that are small enough to hold (for RECORD hashes)."""
    interpreters: dict[bytes, tuple[ProblemCode, str] | None] = field(default_factory=dict)
    verdicts: dict[object, Any] = field(default_factory=dict)
    """Scripts' verdicts, by everything they depend on (see ``plan_scripts``)."""
    _venv_dirs: dict[bytes, bool] = field(default_factory=dict)

    @property
    def virtualenv_version(self) -> tuple[int, ...]:
        """The virtualenv release that made the venv, (0,) if none or unknown."""
        words = "".join(
            c if "0" <= c <= "9" else " " for c in self.venv.settings.get("virtualenv", "")
        )
        return tuple(int(n) for n in words.split()[:3]) or (0,)

    def local(self, path: bytes) -> bytes:
        """Where a path under the target prefix is on this machine now (staging)."""
        return local_path(os.fsencode(self.venv.root), self.prefix, path)

    def is_venv_prefix(self, prefix: bytes) -> bool:
        """Whether ``prefix`` is a place this venv (or any venv) has lived."""
        if prefix in self.known:
            return True
        if prefix not in self._venv_dirs:
            self._venv_dirs[prefix] = os.path.isfile(os.path.join(prefix, b"pyvenv.cfg"))
        return self._venv_dirs[prefix]

    def problem(self, path: str, code: ProblemCode, detail: str, fixable: bool) -> Problem:
        """Record a problem."""
        found = Problem(path, code, detail, fixable)
        self.problems.append(found)
        return found

    def edit(
        self,
        entry_path: str,
        st: os.stat_result | None,
        new_head: bytes,
        keep_from: int,
        found: list[Problem],
        before: str,
        after: str,
        *,
        link: str | None = None,
        source: str | None = None,
    ) -> None:
        """Plan a rewrite of ``entry_path`` that repairs ``found``."""
        assert st is not None
        if self.keep_edits:
            full = os.path.join(self.venv.root, entry_path)
            self.edits.append(Edit(full, new_head, keep_from, st, link, source))
        codes = (
            tuple(dict.fromkeys([p.code for p in found])) if len(found) > 1 else (found[0].code,)
        )
        self.changes.append(Change(entry_path, codes, before, after))
