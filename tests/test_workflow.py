"""docs/nightly-workflow.yml: what it asks of GitHub, and every `labkit` command in it parsed by labkit's own command
tree, so that a renamed or misspelt command or option fails here instead of at night on a real subscription."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
import yaml

from labkit.cli import main
from labkit.params import PARAM_NAMES
from labkit.settings import LAB_ID_RE

WORKFLOW = Path(__file__).resolve().parent.parent / "docs" / "nightly-workflow.yml"

#: A GitHub expression, ``${{ ... }}``: replaced by a placeholder word before a command is parsed.
_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def steps() -> list[dict]:
    return workflow()["jobs"]["smoke"]["steps"]


def labkit_commands(script: str) -> list[list[str]]:
    """The arguments of each ``labkit`` command in a step's shell script, GitHub expressions as placeholders."""
    joined = _EXPRESSION.sub("placeholder", script.replace("\\\n", " "))
    return [words[1:] for words in map(shlex.split, joined.splitlines()) if words and words[0] == "labkit"]


def parse(args: list[str]) -> click.Context:
    """The context of the labkit command ``args`` names, once click has parsed its options as ``labkit`` would.

    Raises:
        click.UsageError: an unknown command or option, or a value it refuses, in click's words.
    """
    command: click.Command = main
    path = ["labkit"]
    words = list(args)
    while isinstance(command, click.Group):
        if not words:
            raise click.UsageError(f"`{' '.join(path)}` needs a command")
        name = words.pop(0)
        sub = command.get_command(click.Context(command, info_name=" ".join(path)), name)
        if sub is None:
            raise click.UsageError(f"`{' '.join(path)}` has no command {name!r}")
        command, path = sub, path + [name]
    return command.make_context(" ".join(path), words)


def test_every_labkit_command_and_option_in_the_workflow_exists():
    found = [(step["name"], args) for step in steps() if "run" in step for args in labkit_commands(step["run"])]
    assert [args[0] for _, args in found] == ["run", "cleanup"]
    for name, args in found:
        try:
            parse(args)
        except click.UsageError as error:
            pytest.fail(f"step {name!r}: `labkit {' '.join(args)}` is refused: {error.format_message()}")


def test_every_lesson_parameter_the_workflow_sets_exists():
    for step in steps():
        for args in labkit_commands(step.get("run", "")):
            names = {item.partition("=")[0] for item in parse(args).params["parameters"]}
            assert names and names <= set(PARAM_NAMES), f"step {step['name']!r}: {sorted(names - set(PARAM_NAMES))} are not lesson parameters"


@pytest.mark.parametrize("args, refused", [
    (["run", "--backend", "azure", "--junitt", "j.xml"], "--junitt"),
    (["run", "--backend", "cloud"], "'cloud' is not one of 'sim', 'azure'"),
    (["cleanp", "--lab-id", "x"], "has no command 'cleanp'"),
])
def test_the_check_refuses_a_misspelt_command_or_option(args, refused):
    with pytest.raises(click.UsageError, match=re.escape(refused)):
        parse(args)


def test_a_continued_line_is_one_command_and_an_expression_one_word():
    script = "labkit cleanup --lab-id \"$LABKIT_LAB_ID\" \\\n  -p cluster_name=${{ vars.X || 'a b' }}\necho done\n"
    assert labkit_commands(script) == [["cleanup", "--lab-id", "$LABKIT_LAB_ID", "-p", "cluster_name=placeholder"]]


def test_it_runs_nightly_and_by_hand_signs_in_with_oidc_and_has_a_time_limit():
    data = workflow()
    triggers = data[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["schedule"][0]["cron"] and "workflow_dispatch" in triggers
    assert data["permissions"] == {"id-token": "write", "contents": "read"}
    job = data["jobs"]["smoke"]
    assert job["timeout-minutes"] > next(step["timeout-minutes"] for step in job["steps"] if "labkit run" in step.get("run", ""))
    logins = [step for step in job["steps"] if step.get("uses") == "azure/login@v2"]
    # OIDC: no client secret (azure/login's `creds`) in any sign-in; the cloud labkit runs in is the one signed in to
    assert logins and all(set(step["with"]) == {"client-id", "tenant-id", "subscription-id", "environment"} for step in logins)
    assert all(step["with"]["environment"] == "${{ env.LABKIT_CLOUD }}" for step in logins)


def test_the_default_cloud_is_one_that_labkit_and_azure_login_both_know():
    from labkit.clouds import KNOWN

    default = workflow()["jobs"]["smoke"]["env"]["LABKIT_CLOUD"].split("'")[1]
    assert default in KNOWN
    # azure/login lowercases its environment input and takes these (Azure/login, src/common/LoginConfig.ts)
    assert {name.lower() for name in KNOWN} <= {"azurecloud", "azurechinacloud", "azureusgovernment", "azuregermancloud",
                                                "azurestack"}
    assert all("-p cloud=" in step["run"] for step in steps() if "labkit " in step.get("run", ""))


def test_the_lab_id_of_any_run_follows_labkits_rule():
    template = workflow()["jobs"]["smoke"]["env"]["LABKIT_LAB_ID"]
    for run_id, attempt in (("1", "1"), ("99999999999", "9"), ("999999999999", "99")):
        lab_id = template.replace("${{ github.run_id }}", run_id).replace("${{ github.run_attempt }}", attempt)
        assert LAB_ID_RE.match(lab_id), lab_id


def test_artefacts_are_kept_and_the_cleanup_runs_last_whatever_happened():
    job_steps = steps()
    upload = next(step for step in job_steps if step.get("uses", "").startswith("actions/upload-artifact@v4"))
    assert upload["if"] == "always()" and upload["with"]["path"] == "runs/"
    run = next(labkit_commands(step["run"])[0] for step in job_steps if "labkit run" in step.get("run", ""))
    assert run[run.index("--out") + 1].startswith("runs/") and run[run.index("--junit") + 1].startswith("runs/")
    last = job_steps[-1]
    assert last["if"] == "always()" and labkit_commands(last["run"])[0][:3] == ["cleanup", "--lab-id", "$LABKIT_LAB_ID"]
    assert "--backend" in labkit_commands(last["run"])[0]
