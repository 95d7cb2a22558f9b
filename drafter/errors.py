"""Errors a user can act on: what went wrong, where, and what to do. The CLI prints them as
`path:line:col: message` and exits non-zero, without a traceback."""

from __future__ import annotations

from .frozen import record
from pathlib import Path


@record
class Location:
    path: Path | str
    line: int | None = None  # 1-based
    col: int | None = None  # 1-based

    def __str__(self) -> str:
        parts = [str(self.path)]
        if self.line is not None:
            parts.append(str(self.line))
            if self.col is not None:
                parts.append(str(self.col))
        return ":".join(parts)


class DrafterError(Exception):
    """A problem in the user's input or data. `hint` says what to do about it."""

    def __init__(self, message: str, where: Location | str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        return f"{text}\n  → {self.hint}" if self.hint else text


class DataError(DrafterError):
    """Bad or inconsistent data in legal_refs/, rulepacks/ or templates/."""


class UsageError(DrafterError):
    """A bad command-line option."""


class Problems(DrafterError):
    """Several data problems found at once (by the loader or `drafter check`)."""

    def __init__(self, problems: list[DataError]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the data")

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)
