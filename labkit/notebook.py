"""Notebook niceties: labkit's own errors shown as their message, without a traceback; widgets that leave text.

A widget is only seen while its kernel runs: reopened later, a notebook that saved it shows "Error displaying widget:
model not found". So labkit's widgets (progress bars, the settings form) replace themselves with a line of text when
they are done (:func:`replace_with_text`), and appear only where a person sees them (:func:`shows_widgets`).
"""

from __future__ import annotations

import os
from typing import Any

from labkit.errors import LabError

#: ``text`` (``labkit run``) or ``off`` (nbval, ``make notebooks``) turns labkit's widgets off; ``auto`` is the default.
PROGRESS_ENV = "LABKIT_PROGRESS"


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


def shows_widgets() -> bool:
    """Whether a person runs this cell in a notebook frontend, so that a widget (progress bar, form) is seen.

    Not when ``$LABKIT_PROGRESS`` is ``text`` or ``off`` (``labkit run``, nbval, ``make notebooks``), nor outside a
    kernel, nor when a program runs the notebook (papermill, nbclient, nbval): JupyterLab and Notebook 7 send the
    cell's id with each execution (the execute request's ``metadata.cellId``), and those programs do not.
    """
    if os.environ.get(PROGRESS_ENV, "auto") != "auto":
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    kernel = getattr(get_ipython(), "kernel", None)
    if kernel is None:
        return False
    request = kernel.get_parent() or {}
    return bool(request.get("metadata", {}).get("cellId"))


def replace_with_text(display: Any, widget: Any, text: str) -> None:
    """Replace a displayed widget (``display(widget, display_id=True)``'s handle) with ``text``, and close it."""
    display.update({"text/plain": text}, raw=True)
    _close(widget)


def _close(widget: Any) -> None:
    for child in getattr(widget, "children", ()):
        _close(child)
    widget.close()
