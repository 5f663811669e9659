"""Tools some tests need beyond the Python packages (kubectl, the az CLI, Chromium): a missing one skips those tests on
a workstation and fails them in CI (``CI`` set, as ``.ci/run`` sets it), where a skip would hide that they never ran."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def missing(what: str) -> NoReturn:
    """Skip the test for want of ``what`` (a sentence saying what is missing and how to get it), or fail it in CI."""
    if os.environ.get("CI"):
        pytest.fail(what)
    pytest.skip(what)
