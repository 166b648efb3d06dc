"""One exception tree for every user-facing mistake.

The CLI catches :class:`TrialsimError`, prints its one-line message and exits 2.
Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class TrialsimError(Exception):
    """A user-facing error: the message is one line naming where, what and the fix."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


class SpecError(TrialsimError):
    """A study or cohort YAML is unreadable or invalid."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = [" ".join(p.split()) for p in problems]
        super().__init__(self.problems[0] if self.problems else "invalid specification")

    def lines(self) -> list[str]:
        return list(self.problems)


class InputFileError(TrialsimError):
    """A file given on the command line is missing, unreadable or of the wrong kind."""


class OutputPathError(TrialsimError):
    """An output path cannot be written safely."""


class ResourceLimitError(TrialsimError):
    """A request asks for more work than the configured bound allows."""


class IntegrityError(TrialsimError):
    """A results directory does not match its manifest."""


class SimulationError(TrialsimError):
    """A physics simulation could not be set up (not a failed solve: those are recorded)."""
