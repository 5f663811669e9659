"""One definition of every lesson parameter: type, default (runs against the simulator), and rules.

Values arrive the way papermill and ``labkit run -p NAME=VALUE`` deliver them: Python values from a
``parameters`` cell, strings from the command line, ``None``. :func:`load_params` turns them into a
:class:`LabParams` or raises one :class:`~labkit.errors.LabConfigError` listing every broken rule,
before anything is sent to Azure. :func:`params_from` (the lessons) and :func:`lab_params` (``labkit run``)
first fill every ``None`` from the lab's saved settings (:mod:`labkit.settings`).

Example:
    >>> p = load_params(vm_size="standard_nv36ads_a10_v5", node_count="2")
    >>> p.vm_size, p.node_count, p.driver_type_for_pool()
    ('Standard_NV36ads_A10_v5', 2, 'GRID')
"""

from __future__ import annotations

import difflib
import re
import warnings
from dataclasses import dataclass, fields, replace
from datetime import date
from pathlib import Path
from typing import Any, Callable, Optional

from labkit import catalog, clouds, rules, settings
from labkit.errors import LabConfigError, Problem

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_RESOURCE_GROUP = re.compile(r"^[-\w.()]{1,90}$")
_CLUSTER_NAME = re.compile(r"^[A-Za-z0-9][-A-Za-z0-9_]{0,61}[A-Za-z0-9]$|^[A-Za-z0-9]$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_RESOURCE_NAME = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")


@dataclass(frozen=True)
class LabParams:
    """The lesson parameters, validated. Build it with :func:`load_params`."""

    lab_id: str = ""
    backend: str = "sim"
    #: Backend azure's cloud: a name in labkit.clouds.KNOWN, or a custom cloud's ARM endpoint; None is AzureCloud.
    cloud: Optional[str] = None
    subscription_id: Optional[str] = None
    resource_group: str = "myResourceGroup"
    cluster_name: str = "myAKSCluster"
    pool_name: str = "gpunp"
    manual_pool_name: str = "gpudx"
    vm_size: str = catalog.DEFAULT_VM_SIZE
    node_count: int = 1
    os_sku: Optional[str] = None
    kubernetes_version: Optional[str] = None
    gpu_driver: str = "Install"
    driver_type: Optional[str] = None
    enable_fips: bool = False
    plugin_namespace: Optional[str] = None
    gpu_resource_name: str = catalog.DIRECTX_RESOURCE
    timeout_minutes: float = 30.0
    local_checks: bool = True

    def pool_spec(self, *, manual: bool = False) -> rules.PoolSpec:
        """The pool a lesson creates: lesson 02's (``pool_name``) or lesson 03's (``manual_pool_name``)."""
        return rules.PoolSpec(
            name=self.manual_pool_name if manual else self.pool_name,
            vm_size=self.vm_size,
            os_sku=self.os_sku,
            count=self.node_count,
            orchestrator_version=self.kubernetes_version,
            gpu_driver="None" if manual else self.gpu_driver,
            driver_type=None if manual else self.driver_type,
            enable_fips=self.enable_fips,
        )

    def driver_type_for_pool(self) -> Optional[str]:
        """The driver lesson 02's pool gets: the chosen type, else the size's default."""
        return rules.effective_driver_type(self.pool_spec())

    def check_pools(self, cluster_version: Optional[catalog.Version], *, today: Optional[date] = None) -> None:
        """Raise LabConfigError if a lesson pool breaks a rule (version rules need ``cluster_version``).

        Does nothing when ``local_checks`` is off: then only the service judges the pool. labkit's
        advice (allowed, but rarely what a learner wants) is a warning, never an error.
        """
        if not self.local_checks:
            return
        problems = []
        for manual in (False, True):
            names = {"name": "manual_pool_name"} if manual else {}
            spec = self.pool_spec(manual=manual)
            problems += rules.pool_problems(spec, cluster_version=cluster_version, today=today or date.today(), names=names)
        for advice in dict.fromkeys(rules.pool_advice(self.pool_spec(), cluster_version=cluster_version,
                                                      today=today or date.today())):
            warnings.warn(str(advice), stacklevel=2)
        if self.pool_name == self.manual_pool_name:
            problems.append(Problem(
                "manual_pool_name", self.manual_pool_name, "is the same as pool_name",
                "lessons 02 and 03 create two distinct pools",
                f"Use another name, e.g. {'gpuman' if self.pool_name == 'gpudx' else 'gpudx'!r}.",
            ))
        if problems:
            raise LabConfigError(list(dict.fromkeys(problems)))  # both pools share most settings: once each


# --- coercion: each returns the canonical value or raises _Bad(why, rule, fix) -------------------


class _Bad(Exception):
    def __init__(self, why: str, rule: str, fix: str):
        super().__init__(why)
        self.why, self.rule, self.fix = why, rule, fix


#: Words that stand for "no value" (the service's or labkit's default) in an optional text parameter.
_NO_VALUE = ("", "None", "null", "default")


def _text(value: Any, *, optional: bool) -> Optional[str]:
    if value is None or (optional and isinstance(value, str) and value.strip() in _NO_VALUE):
        if optional:
            return None
        raise _Bad("is missing", "a value is required", "Set it, or remove it to use the default.")
    if not isinstance(value, str):
        raise _Bad(f"is a {type(value).__name__}", "a text value is required", "Quote it.")
    return value.strip()


def _choice(options: tuple[str, ...], *, optional: bool = False) -> Callable[[Any], Optional[str]]:
    def parse(value: Any) -> Optional[str]:
        text = _text(value, optional=optional)
        if text is None:
            return None
        for option in options:
            if text.lower() == option.lower():
                return option
        shown = " or ".join(repr(o) for o in options) + (" or None" if optional else "")
        close = difflib.get_close_matches(text, options, n=1, cutoff=0.5)
        raise _Bad("is not allowed", f"it must be {shown}", f"Did you mean {close[0]!r}?" if close else f"Use {options[0]!r}.")

    return parse


def _cloud(value: Any) -> Optional[str]:
    text = _text(value, optional=True)
    if text is not None and clouds.CUSTOM_CLOUD_RE.match(text):
        return text.rstrip("/")
    try:
        return _choice(tuple(clouds.KNOWN), optional=True)(text)
    except _Bad as bad:
        raise _Bad("is not a cloud", f"a cloud is one of {', '.join(clouds.KNOWN)}, or a custom cloud's ARM endpoint "
                   "https://host[:port]", bad.fix) from None


def _gpu_driver(value: Any) -> str:
    # papermill's -p turns the word None into Python None; for gpu_driver that word is a setting.
    return "None" if value is None else _choice(rules.GPU_DRIVERS)(value)


def _node_count(value: Any) -> int:
    """Nodes per lab pool: AKS takes 0 for a user pool, but a pool without nodes has no GPU to wait for."""
    rule = "each of the lab's pools needs 1 to 1000 nodes (a node is where the GPU is)"
    if isinstance(value, bool):
        raise _Bad("is a bool", rule, "Use a whole number such as 1.")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        value = int(value) if len(value.strip()) <= 10 else catalog.NODE_COUNT_RANGE[1] + 1
    if not isinstance(value, int):
        raise _Bad("is not a whole number", rule, "Use a whole number such as 1.")
    if not 1 <= value <= catalog.NODE_COUNT_RANGE[1]:
        raise _Bad("is out of range", rule, "Use 1 (each node is a GPU VM billed by the hour).")
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise _Bad("is a bool", "a number of minutes is required", "Use a number such as 30.")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise _Bad("is not a number", "a number of minutes is required", "Use a number such as 30.") from None
    if not 0 < number <= 24 * 60:
        raise _Bad("is out of range", "waits last more than 0 and at most 1440 minutes", "Use 30.")
    return number


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1", "on"):
        return True
    if text in ("false", "no", "0", "off"):
        return False
    raise _Bad("is not true or false", "a yes/no value is required", "Use True or False.")


def _matching(pattern: re.Pattern, rule: str, fix: str, *, optional: bool = False) -> Callable[[Any], Optional[str]]:
    def parse(value: Any) -> Optional[str]:
        text = _text(value, optional=optional)
        if text is not None and not pattern.match(text):
            raise _Bad("does not match", rule, fix)
        return text

    return parse


def _vm_size(value: Any) -> str:
    text = _text(value, optional=False)
    size = catalog.gpu_size(text)
    return size.name if size else text


def _os_sku(value: Any) -> Optional[str]:
    text = _text(value, optional=True)
    sku = catalog.os_sku(text) if text else None
    return sku.name if sku else text


def _version(value: Any) -> Optional[str]:
    text = _text(str(value) if isinstance(value, float) else value, optional=True)
    if text is not None and catalog.parse_version(text) is None:
        raise _Bad("is not a Kubernetes version", "versions look like 1.31 or 1.31.2", "Leave it None to use the cluster's version.")
    return text


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "lab_id": _matching(settings.LAB_ID_RE, settings.LAB_ID_RULE, "Leave it None for your own lab id, or use e.g. 'team3'.",
                        optional=True),
    "backend": _choice(("sim", "azure")),
    "cloud": _cloud,
    "subscription_id": _matching(
        _GUID, "a subscription id is a GUID (8-4-4-4-12 hex digits)",
        "Copy it from `az account show --query id -o tsv`, or leave it None to use AZURE_SUBSCRIPTION_ID.", optional=True,
    ),
    "resource_group": _matching(
        _RESOURCE_GROUP, "resource group names are 1-90 letters, digits, '-', '_', '.', '(' or ')'",
        "Use the group your cluster is in, e.g. 'myResourceGroup'.",
    ),
    "cluster_name": _matching(
        _CLUSTER_NAME, "AKS cluster names are 1-63 letters, digits, '-' or '_', starting and ending with a letter or digit",
        "Use your cluster's name, e.g. 'myAKSCluster'.",
    ),
    "pool_name": lambda v: _text(v, optional=False),
    "manual_pool_name": lambda v: _text(v, optional=False),
    "vm_size": _vm_size,
    "node_count": _node_count,
    "os_sku": _os_sku,
    "kubernetes_version": _version,
    "gpu_driver": _gpu_driver,
    "driver_type": _choice(rules.DRIVER_TYPES, optional=True),
    "enable_fips": _boolean,
    "plugin_namespace": _matching(
        _DNS_LABEL, "namespaces are DNS labels: up to 63 lowercase letters, digits and '-'",
        "Use 'gpu-resources', or leave it None for the lab's own namespace.", optional=True,
    ),
    "gpu_resource_name": _matching(
        _RESOURCE_NAME, "an extended resource name is <domain>/<name>", "Use 'microsoft.com/directx'."
    ),
    "timeout_minutes": _number,
    "local_checks": _boolean,
}

#: The parameter names, in the order of LabParams.
PARAM_NAMES = tuple(f.name for f in fields(LabParams))


def load_params(*, today: Optional[date] = None, pool_rules: bool = True, **values: Any) -> LabParams:
    """Coerce and validate lesson parameters; unnamed ones keep their defaults.

    ``lab_id`` left out stands for your current lab (:func:`labkit.settings.current_lab_id`); saved
    settings are not read here (see :func:`params_from`).

    Args:
        today: the date retirement rules are judged on (default: today).
        pool_rules: check AKS's pool rules too (the cleanup lesson removes whatever the pools were, so it does not).
        **values: parameter values, as Python values or command-line strings.

    Raises:
        LabConfigError: naming every parameter that breaks a rule, its value, the rule and a fix.
    """
    problems: list[Problem] = []
    coerced: dict[str, Any] = {}
    for name, value in values.items():
        if name not in _PARSERS:
            close = difflib.get_close_matches(name, PARAM_NAMES, n=1)
            fix = f"Did you mean {close[0]!r}?" if close else f"Known parameters: {', '.join(PARAM_NAMES)}."
            problems.append(Problem(name, value, "is not a lesson parameter", "only the parameters of labkit.params exist", fix))
            continue
        try:
            coerced[name] = _PARSERS[name](value)
        except _Bad as bad:
            problems.append(Problem(name, value, bad.why, bad.rule, bad.fix))
    lab_id = coerced.get("lab_id") or ("" if "lab_id" in {p.param for p in problems} else settings.current_lab_id())
    params = replace(LabParams(), **{**coerced, "lab_id": lab_id})
    if params.backend == "sim" and params.cloud is not None and "backend" not in {p.param for p in problems}:
        problems.append(Problem(
            "cloud", params.cloud, "is set while backend is 'sim'",
            "the simulator is a cloud of its own; cloud chooses where backend 'azure' goes",
            "Set backend='azure' to run in that cloud, or set cloud to None for the simulator.",
        ))
    if pool_rules:
        problems += [p for p in _pool_problems(params, today) if p.param not in {q.param for q in problems}]
    if problems:
        raise LabConfigError(problems)
    return params


def _pool_problems(params: LabParams, today: Optional[date]) -> list[Problem]:
    """The pool rules the parameters break (those that parsed; the others keep their defaults meanwhile)."""
    version = catalog.parse_version(params.kubernetes_version) if params.kubernetes_version else None
    try:
        params.check_pools(version, today=today)
    except LabConfigError as error:
        return error.problems
    return []


def lab_params(values: dict[str, Any], *, pool_rules: bool = True) -> LabParams:
    """Validated parameters: ``values`` (``None`` meaning "the lab's setting") over the lab's saved settings.

    A broken value that came from the saved settings says so, and where to change it.
    """
    filled = settings.merged(values)
    from_settings = {name for name, value in filled.items() if values.get(name) is None and name != "lab_id"}
    try:
        return load_params(pool_rules=pool_rules, **filled)
    except LabConfigError as error:
        raise LabConfigError([_from_settings(p, filled["lab_id"]) if p.param in from_settings else p
                              for p in error.problems]) from None


def _from_settings(problem: Problem, lab_id: str) -> Problem:
    where = settings.settings_file(lab_id)
    return replace(problem, why=f"{problem.why} (saved in lab {lab_id}'s settings, {where})")


def params_from(namespace: dict[str, Any], *, pool_rules: bool = True) -> LabParams:
    """Validated parameters from a lesson's variables: ``params_from(globals())`` after the parameters cell.

    Only names of lesson parameters are taken; every other variable is ignored. ``None`` stands for the
    lab's saved setting (see :mod:`labkit.settings`).
    """
    return lab_params({name: namespace[name] for name in PARAM_NAMES if name in namespace}, pool_rules=pool_rules)


def read_params_file(path: Path) -> dict[str, Any]:
    """The parameters in a YAML file (``NAME: VALUE`` lines), or one LabConfigError saying what is wrong with it.

    Plain YAML only: tags (``!!python/...``), duplicate names and anything but one mapping are refused, as
    is a file that is not UTF-8.
    """
    import yaml

    def bad(why: str, fix: str = "Write one NAME: VALUE per line, e.g. pool_name: gpu1.") -> LabConfigError:
        return LabConfigError([Problem("--params-file", str(path), why, "a params file is a YAML mapping of lesson parameters", fix)])

    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise bad(f"cannot be read ({error.strerror})", "Check the path.") from None
    except UnicodeDecodeError as error:
        raise bad(f"is not UTF-8 text (byte {error.start})", "Save it as UTF-8.") from None
    try:
        tagged = any(isinstance(token, yaml.TagToken) for token in yaml.scan(text))
        document = None if tagged else yaml.compose(text)
        values = None if tagged else yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise bad(f"is not valid YAML ({error.problem}{where})") from None
    except yaml.YAMLError as error:
        raise bad(f"is not valid YAML ({' '.join(str(error).split())})") from None
    except ValueError:  # Python's int() refuses numbers of more than 4300 digits
        raise bad("holds a number too long to read", "Use a number such as 1.") from None
    if tagged:
        raise bad("uses a YAML tag", "Remove the tag (!!...); write plain values.")
    if values is None:
        return {}
    if not isinstance(values, dict):
        kind = {list: "a list", str: "text", int: "a number", float: "a number", bool: "a yes/no value"}.get(type(values), "one value")
        raise bad(f"holds {kind}, not NAME: VALUE lines")
    names = [node.value for node, _ in document.value]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise bad(f"names {', '.join(map(str, repeated))} more than once", "Keep one line per parameter.")
    if not all(isinstance(name, str) for name in values):
        raise bad("has a name that is not text", "Names are parameter names, such as pool_name.")
    return values
