"""Your lab's identity and settings, kept in your labkit configuration so every lesson reads them.

A **lab** is one learner's (or attendee's, or CI run's) set of resources: every pool it creates carries the
tag ``labkit-lab: <id>`` and every Kubernetes object the label ``labkit.io/lab=<id>``. Its **settings** are the
validated lesson parameters, saved by lesson 00 and ``labkit run``. A lesson takes each parameter from, in order:

1. its own parameters cell or papermill's ``-p`` (any value but ``None``);
2. the lab's saved settings;
3. labkit's defaults (:class:`labkit.params.LabParams`).

The lab id itself is the one given, else ``$LABKIT_LAB_ID``, else yours: made once from your user name and
kept in ``config.yaml``, so it is the same on every run. Files live in ``$LABKIT_CONFIG_DIR``, else
``$XDG_CONFIG_HOME/labkit`` or ``~/.config/labkit``:

- ``config.yaml``: ``lab_id``, your current lab;
- ``labs/<lab id>.yaml``: that lab's settings.

Example:
    >>> import os, tempfile
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, LABKIT_CONFIG_DIR=tempfile.mkdtemp()):
    ...     path = save({"lab_id": "demo", "pool_name": "gpu1", "node_count": 1})
    ...     print(current_lab_id(), saved("demo")["pool_name"], merged({"pool_name": None, "node_count": 2}))
    demo gpu1 {'pool_name': 'gpu1', 'node_count': 2, 'lab_id': 'demo'}
"""

from __future__ import annotations

import getpass
import os
import re
import secrets
import string
from pathlib import Path
from typing import Any, Mapping

import yaml

from labkit.errors import LabConfigError, Problem
from labkit.files import create_private, write_private

LAB_ID_ENV = "LABKIT_LAB_ID"
CONFIG_DIR_ENV = "LABKIT_CONFIG_DIR"

#: A lab id goes into tags, labels and namespace names: short, lowercase letters and digits.
LAB_ID_MAX = 16
LAB_ID_RE = re.compile(rf"^[a-z][a-z0-9]{{2,{LAB_ID_MAX - 1}}}$")
LAB_ID_RULE = f"a lab id is 3 to {LAB_ID_MAX} lowercase letters and digits, starting with a letter"

_SUFFIX_LENGTH = 4


def config_dir() -> Path:
    """Where labkit keeps your lab id and your labs' settings."""
    env = os.environ.get(CONFIG_DIR_ENV)
    if env:
        return Path(env).expanduser().absolute()
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "labkit"


def settings_file(lab_id: str) -> Path:
    return config_dir() / "labs" / f"{lab_id}.yaml"


def current_lab_id() -> str:
    """``$LABKIT_LAB_ID``, else your lab id from ``config.yaml``, made on first use and kept."""
    from_env = os.environ.get(LAB_ID_ENV)
    if from_env:
        return _checked_lab_id(from_env, f"${LAB_ID_ENV}")
    path = config_dir() / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    # Of two processes making it at once, both keep the first one's id.
    text = create_private(path, _config_text(_new_lab_id())).decode("utf-8", "replace")
    lab_id = _mapping(text, path).get("lab_id")
    return _checked_lab_id(lab_id, str(path))


def saved(lab_id: str) -> dict[str, Any]:
    """The lab's saved settings; empty when it has none yet."""
    path = settings_file(lab_id)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as error:
        raise _unreadable(path, str(error)) from None
    return _mapping(text, path)


def merged(values: Mapping[str, Any]) -> dict[str, Any]:
    """Parameter values with every ``None`` filled from the lab's settings (see the module's order).

    The result always names ``lab_id``; parameters neither given nor saved stay out, so they keep
    labkit's defaults.
    """
    given = {name: value for name, value in values.items() if value is not None}
    lab_id = given.get("lab_id") or current_lab_id()
    if not isinstance(lab_id, str) or not LAB_ID_RE.match(lab_id):
        return {**given, "lab_id": lab_id}  # load_params names the problem
    return {**saved(lab_id), **given, "lab_id": lab_id}


def save(values: Mapping[str, Any]) -> Path:
    """Save validated parameters as their lab's settings, and make that lab your current one; returns the file."""
    lab_id = values["lab_id"]
    path = settings_file(lab_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (f"# labkit: the settings of lab {lab_id}, read by every lesson.\n"
              "# Saved by lesson 00 and `labkit run`; a lesson's own parameter value wins for that lesson.\n")
    body = yaml.safe_dump({k: v for k, v in values.items() if k != "lab_id"}, sort_keys=False)
    write_private(path, (header + body).encode())
    if os.environ.get(LAB_ID_ENV) is None:
        write_private(config_dir() / "config.yaml", _config_text(lab_id))
    return path


def _new_lab_id() -> str:
    """Your user name's letters and digits, and a few random ones so that two users never share an id."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (some containers)
        user = ""
    prefix = re.sub(r"[^a-z0-9]", "", user.lower()).lstrip(string.digits)[:8] or "lab"
    alphabet = string.ascii_lowercase + string.digits
    return prefix + "".join(secrets.choice(alphabet) for _ in range(_SUFFIX_LENGTH))


def _config_text(lab_id: str) -> bytes:
    return (f"# labkit: your lab id; everything your lab creates carries it (tag labkit-lab, label labkit.io/lab).\n"
            f"lab_id: {lab_id}\n").encode()


def _checked_lab_id(lab_id: Any, where: str) -> str:
    if isinstance(lab_id, str) and LAB_ID_RE.match(lab_id):
        return lab_id
    raise LabConfigError([Problem("lab_id", lab_id, f"(from {where}) is not a lab id", LAB_ID_RULE,
                                  f"Fix or delete {where}; labkit makes a new id when config.yaml is missing.")])


def _mapping(text: str, path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError) as error:
        raise _unreadable(path, " ".join(str(error).split())) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise _unreadable(path, f"it holds a {type(data).__name__}, not NAME: VALUE lines")
    return data


def _unreadable(path: Path, why: str) -> LabConfigError:
    return LabConfigError([Problem("settings", str(path), f"cannot be read ({why})",
                                   "labkit's settings files are YAML mappings of NAME: VALUE",
                                   "Fix the file, or delete it: lesson 00 saves it again.")])

