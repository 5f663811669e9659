"""Waits: one final line in every mode; progress as text or as a widget that leaves that line in its place."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from labkit import notebook, waiting
from labkit.errors import WaitTimeout


def creating_then(final: str):
    states = iter([(False, "Creating"), (False, "Creating"), (True, final)])
    return lambda: next(states)


def wait(check, minutes: float = 1.0) -> str:
    return waiting.wait_for(check, what="pool gpunp", timeout_minutes=minutes, poll_seconds=0)


def test_text_progress_reads_what_state_and_time(monkeypatch, capsys):
    monkeypatch.setenv("LABKIT_PROGRESS", "text")
    assert wait(creating_then("Succeeded")) == "Succeeded"
    out, err = capsys.readouterr()
    assert re.fullmatch(r"pool gpunp: Succeeded \(\d+\.\ds\)\n", out)
    assert "pool gpunp: Creating [00:00]" in err
    assert ": ," not in err


def test_off_shows_the_final_line_only(monkeypatch, capsys):
    monkeypatch.setenv("LABKIT_PROGRESS", "off")
    wait(creating_then("Succeeded"))
    out, err = capsys.readouterr()
    assert out.startswith("pool gpunp: Succeeded (") and err == ""


def test_a_wait_that_times_out_says_where_it_stopped(monkeypatch, capsys):
    monkeypatch.setenv("LABKIT_PROGRESS", "off")
    with pytest.raises(WaitTimeout, match="still Creating"):
        wait(lambda: (False, "Creating"), minutes=0)
    assert capsys.readouterr().out.startswith("pool gpunp: stopped while Creating (")


class FakeDisplay:
    """What ``display(..., display_id=True)`` returns, recording what replaced the widget."""

    def __init__(self, widget):
        self.widget, self.updates = widget, []

    def update(self, data, raw=False):
        self.updates.append((data, raw))


def test_a_widget_is_replaced_by_the_final_line_and_closed(monkeypatch):
    shown = []
    monkeypatch.setenv("LABKIT_PROGRESS", "auto")
    monkeypatch.setattr(waiting, "shows_widgets", lambda: True)
    monkeypatch.setattr("IPython.display.display", lambda widget, display_id: shown.append(FakeDisplay(widget)) or shown[-1])
    wait(creating_then("Succeeded"))
    [display] = shown
    [(data, raw)] = display.updates
    assert raw and re.fullmatch(r"pool gpunp: Succeeded \(\d+\.\ds\)", data["text/plain"])
    assert "labkit-progress" in display.widget._dom_classes
    assert all(w.comm is None for w in (display.widget, *display.widget.children)), "every widget closed"


@pytest.mark.parametrize("metadata, progress, seen", [
    ({"cellId": "5a2d0d18"}, "auto", True),  # JupyterLab, Notebook 7
    ({}, "auto", False),  # papermill, nbclient, nbval
    ({"cellId": "5a2d0d18"}, "text", False),  # labkit run
])
def test_widgets_only_for_a_person_at_a_notebook_frontend(monkeypatch, metadata, progress, seen):
    monkeypatch.setenv("LABKIT_PROGRESS", progress)
    kernel = SimpleNamespace(get_parent=lambda: {"header": {"msg_type": "execute_request"}, "metadata": metadata})
    monkeypatch.setattr("IPython.get_ipython", lambda: SimpleNamespace(kernel=kernel))
    assert notebook.shows_widgets() is seen


def test_no_widgets_outside_a_kernel(monkeypatch):
    monkeypatch.setenv("LABKIT_PROGRESS", "auto")
    assert notebook.shows_widgets() is False
