"""What labkit's requests say they come from: ``labkit/<version>`` before the client's own User-Agent.

Azure's logs and the simulator's access log show it. ``$AZURE_HTTP_USER_AGENT`` (e.g. ``labkit-step/<name>``, which
labels a step's requests) is added after it: by the Azure SDK for its clients, by :func:`plain_user_agent` for the few
requests labkit makes without one.

Example:
    >>> USER_AGENT.startswith("labkit/")
    True
"""

from __future__ import annotations

import os


def _user_agent() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"labkit/{version('labkit')}"
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "labkit/0"


USER_AGENT = _user_agent()


def plain_user_agent() -> str:
    """labkit's User-Agent with ``$AZURE_HTTP_USER_AGENT`` after it, as the Azure SDK would send it."""
    return " ".join(filter(None, (USER_AGENT, os.environ.get("AZURE_HTTP_USER_AGENT", "").strip())))
