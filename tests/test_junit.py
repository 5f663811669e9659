"""labkit.junit: a run's summary as JUnit XML, in the shape of tests/data/junit.xsd (runs of the real command are in
test_runner.py and test_exits.py)."""

from __future__ import annotations

import pytest
import xmlschema

from junit_schema import SCHEMA, case, validated_suite
from labkit.junit import split_error, write_junit

SECRETLESS_SUMMARY = {
    "status": "failed", "lab_id": "team3", "backend": "azure", "started_at": "2026-11-30T22:00:00+00:00",
    "duration_seconds": 12.5, "interrupted_by": None, "out_dir": "/runs/1", "left_after_cleanup": None,
    "cleanup_command": "labkit cleanup --lab-id team3",
    "lessons": [
        {"name": "00_prerequisites", "status": "passed", "duration_seconds": 1.25, "error": None},
        {"name": "01_preview_setup", "status": "failed", "duration_seconds": 2.0,
         "error": "DeadKernelError: Kernel died (the kernel's own messages are in kernels.log)"},
        {"name": "05_cleanup", "status": "failed", "duration_seconds": 3.0, "error": "the lesson's thread ended early"},
    ],
}


@pytest.mark.parametrize("error, split", [
    ("BadRequest: The VM size of AgentPoolProfile:gpuold is not allowed", ("BadRequest", "The VM size of AgentPoolProfile:gpuold is not allowed")),
    ("papermill.exceptions.PapermillExecutionError: a: b", ("papermill.exceptions.PapermillExecutionError", "a: b")),
    ("LabError: line one\nWhat to do: line two", ("LabError", "line one\nWhat to do: line two")),
    ("interrupted (SIGINT)", ("LessonFailed", "interrupted (SIGINT)")),
    ("the lesson's thread ended early", ("LessonFailed", "the lesson's thread ended early")),
])
def test_an_error_splits_into_the_exceptions_name_and_its_message(error, split):
    assert split_error(error) == split


def test_what_is_left_unknown_is_an_error_that_names_the_cleanup_command(tmp_path):
    suite = validated_suite(write_junit(SECRETLESS_SUMMARY, tmp_path / "deep" / "junit.xml"))
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "2", "1")
    error = case(suite, "nothing left after cleanup").find("error")
    assert error.get("type") == "LeftUnknown" and "run `labkit cleanup --lab-id team3`" in error.text
    assert case(suite, "01_preview_setup").find("failure").get("type") == "DeadKernelError"
    assert case(suite, "00_prerequisites").get("time") == "1.250"


def test_the_schema_refuses_what_ci_systems_would_not_read(tmp_path):
    path = write_junit(SECRETLESS_SUMMARY, tmp_path / "junit.xml")
    broken = path.read_text().replace('<testcase classname="labkit.lessons" name="00_prerequisites"',
                                      '<testcase classname="labkit.lessons"', 1)
    (tmp_path / "broken.xml").write_text(broken)
    with pytest.raises(xmlschema.XMLSchemaValidationError, match="name"):
        SCHEMA.validate(str(tmp_path / "broken.xml"))
