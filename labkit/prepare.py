"""``labkit prepare LESSON``: bring a lab to the state a lesson starts from, for a learner who fell behind.

The state a lesson starts from is what the lessons before it leave, so ``prepare`` runs them (all but the
cleanup lesson) unattended, in order, with the lab's settings, as ``labkit run`` does. Every lesson keeps what
already exists, so lessons the learner did are run again harmlessly. The executed notebooks go to
``runs/<time>-<lab id>-prepare-<NN>/``. Unlike ``labkit run``, nothing is cleaned up, not even after a failure:
the lab is the learner's, to go on with (lesson 05 or ``labkit cleanup`` removes it).

Example:
    >>> lesson_named("4"), lesson_named("notebooks/02_gpu_pool_auto_driver.ipynb")
    ('04_verify_gpu_capacity', '02_gpu_pool_auto_driver')
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional

from labkit.errors import LabConfigError, Problem
from labkit.params import lab_params
from labkit.runner import CLEANUP, LESSONS, new_out_dir, run_lab


def lesson_named(text: str) -> str:
    """The lesson ``text`` names: its number (``04``, ``4``), its name, or its notebook's file name.

    Raises:
        LabConfigError: when it names none, listing the lessons.
    """
    stem = Path(text.strip()).name.removesuffix(".ipynb")
    for lesson in LESSONS:
        number = lesson.split("_", 1)[0]
        if stem in (lesson, number) or (stem.isdigit() and int(stem) == int(number)):
            return lesson
    raise LabConfigError([Problem("LESSON", text, "is not a lesson", f"the lessons are {', '.join(LESSONS)}",
                                  "Name one by its number, e.g. `labkit prepare 04`.")])


def lessons_before(lesson: str) -> list[str]:
    """The lessons whose state ``lesson`` starts from, in order."""
    return [earlier for earlier in LESSONS[:LESSONS.index(lesson)] if earlier != CLEANUP]


def prepare(values: dict[str, Any], lesson: str, *, out_dir: Optional[Path] = None,
            say: Callable[[str], None] = print) -> Optional[dict[str, Any]]:
    """Run the lessons before ``lesson`` on the lab of ``values`` (see the module); returns their run's summary,
    or None when ``lesson`` starts from a fresh lab.

    Raises:
        LabConfigError: a parameter breaks a rule (before anything runs).
        Interrupted: after an interrupt, once the summary is written.
    """
    earlier = lessons_before(lesson)
    params = lab_params(values)
    if not earlier:
        say(f"{lesson} starts from a fresh lab: nothing to prepare")
        return None
    say(f"preparing lab {params.lab_id} for {lesson}: running {', '.join(earlier)} unattended")
    out_dir = out_dir or new_out_dir(f"{params.lab_id}-prepare-{lesson.split('_', 1)[0]}")
    return run_lab(values, out_dir=out_dir, keep=True, lessons=earlier, say=say)
