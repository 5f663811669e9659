"""Notebook niceties: labkit's own errors shown as their message, without a traceback."""

from __future__ import annotations

from typing import Any

from labkit.errors import LabError


def short_errors() -> None:
    """In IPython, show a LabError as ``ErrorName: message`` instead of a traceback.

    The cell still fails (papermill and nbval see the error); only the display is shortened.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((LabError,), _show_message)


def _show_message(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None) -> list[str]:
    # IPython ignores a custom handler's return value; _showtraceback is the hook ipykernel overrides to
    # publish the error (ename, evalue, traceback) that Jupyter, papermill and nbval read.
    short = [f"{etype.__name__}: {value}"]
    shell._showtraceback(etype, value, short)
    return short
