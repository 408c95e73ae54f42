"""The one exception shebangfix raises for input it cannot use."""

from __future__ import annotations

__all__ = ["ShebangfixError"]


class ShebangfixError(Exception):
    """Unusable input: a path that is not a venv, a prefix that cannot be written safely.

    The message names the path and the reason. Nothing has been written when it is raised.
    """
