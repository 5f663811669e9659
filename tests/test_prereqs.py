"""Lesson 00's tool checks, including the az CLI and aks-preview minimums when az is installed."""

import json
import os
import stat

from labkit.prereqs import AKS_PREVIEW_MINIMUM, AZ_CLI_MINIMUM, tool_checks


def fake_az(tmp_path, versions):
    script = tmp_path / "az"
    script.write_text(f"#!/bin/sh\necho '{json.dumps(versions)}'\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return f"{tmp_path}{os.pathsep}{os.environ['PATH']}"


def by_name(checks):
    return {check.name: check for check in checks}


def test_az_below_the_doc_minimum_fails_and_a_recent_preview_passes(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", fake_az(tmp_path, {"azure-cli": "2.70.0", "extensions": {"aks-preview": "18.0.0b3"}}))
    checks = by_name(tool_checks())
    assert checks["az CLI"].ok is False and AZ_CLI_MINIMUM in str(checks["az CLI"])
    assert checks["aks-preview"].ok is True


def test_preview_extension_older_than_18_0_0b2_fails(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", fake_az(tmp_path, {"azure-cli": "2.72.2", "extensions": {"aks-preview": "17.0.0b9"}}))
    checks = by_name(tool_checks())
    assert checks["az CLI"].ok is True
    assert checks["aks-preview"].ok is False and AKS_PREVIEW_MINIMUM in str(checks["aks-preview"])


def test_without_az_the_check_is_informational(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    checks = by_name(tool_checks())
    assert checks["az CLI"].ok is None and "not installed" in str(checks["az CLI"])
    assert all(check.ok for name, check in checks.items() if name.startswith(("azure-", "kubernetes")))
