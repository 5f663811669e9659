"""The exceptions labkit raises: each carries what a person needs to act on it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def first_line(text: str) -> str:
    r"""The first line of a message, for a note that stays one line ("" when there is none).

    Example:
        >>> first_line("  AuthorizationFailed: no rights\nmore detail")
        'AuthorizationFailed: no rights'
    """
    return text.strip().splitlines()[0] if text and text.strip() else ""


class LabError(Exception):
    """Base class of every error labkit raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One broken rule: which parameter, its value, why it breaks the rule, and a fix.

    ``code`` is the ARM error code the simulator answers with when the same rule
    is broken on the server side.
    """

    param: str
    value: Any
    why: str
    rule: str
    fix: str
    code: str = "InvalidParameter"

    def __str__(self) -> str:
        return f"{self.param} {_shown(self.value)} {self.why}; {self.rule}. {self.fix}"


#: Values longer than this are shortened in messages, so that a problem stays one readable line.
_SHOWN_LENGTH = 100


def _shown(value: Any) -> str:
    text = repr(value)
    if len(text) <= _SHOWN_LENGTH:
        return text
    return f"{text[:_SHOWN_LENGTH - 20]}... ({len(text)} characters)"


class LabConfigError(LabError, ValueError):
    """A parameter value breaks a rule; raised before anything is sent to Azure.

    Example:
        >>> from labkit.params import load_params
        >>> load_params(pool_name="gpupool1")
        Traceback (most recent call last):
        ...
        labkit.errors.LabConfigError: pool_name 'gpupool1' is 8 characters; ...
    """

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def params(self) -> list[str]:
        return [p.param for p in self.problems]


class OperationError(LabError):
    """An Azure or Kubernetes call failed: the operation, the service's code and message, and a hint."""

    def __init__(self, operation: str, code: str, message: str, hint: str = ""):
        self.operation, self.code, self.message, self.hint = operation, code, message, hint
        text = f"{operation} failed: {code}: {message}"
        super().__init__(f"{text}\n  What to do: {hint}" if hint else text)


class PreflightError(OperationError):
    """A check before anything is created found that it cannot be: the size is not offered in the region, or a vCPU
    quota has no room (``room`` then holds the numbers)."""

    def __init__(self, operation: str, code: str, message: str, hint: str, *, room: Any = None):
        super().__init__(operation, code, message, hint)
        self.room = room


class WaitTimeout(LabError):
    """A wait ran past its timeout; says what was awaited and the state it was left in."""

    def __init__(self, what: str, state: str, minutes: float):
        self.what, self.state, self.minutes = what, state, minutes
        super().__init__(
            f"Timed out after {minutes:g} min waiting for {what}; it was still {state}. "
            f"Check it in the portal or with the command shown above, then re-run this cell "
            f"(or raise timeout_minutes)."
        )


class MissingPrerequisite(LabError):
    """Something an earlier lesson creates is not there yet."""

    def __init__(self, what: str, lesson: str):
        self.what, self.lesson = what, lesson
        super().__init__(f"{what} is not there yet: run {lesson} first.")
