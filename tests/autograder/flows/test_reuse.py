"""A saved result is reused only when nothing it depends on changed."""

from __future__ import annotations

from autograder.results import CellResult, SubmissionResult
from autograder.flows.reuse import assignment_fingerprint, code_fingerprint, load_current, record_path, save, unit_key
from autograder.config import Limits
from tests.autograder.tiny_course import write_source

SETTINGS = {"limits": Limits().to_dict(), "sandbox": True}


def test_assignment_fingerprint_follows_source_and_release(tmp_path):
    write_source(tmp_path, "hw1")
    first = assignment_fingerprint(tmp_path, "hw1")
    assert assignment_fingerprint(tmp_path, "hw1") == first
    write_source(tmp_path, "hw1", hidden_b=3)  # a hidden test changed
    changed = assignment_fingerprint(tmp_path, "hw1")
    assert changed != first
    (tmp_path / "release" / "hw1").mkdir(parents=True)
    (tmp_path / "release" / "hw1" / "data.csv").write_text("x\n1\n")
    assert assignment_fingerprint(tmp_path, "hw1") != changed


def test_key_depends_on_submission_assignment_code_and_limits():
    key = unit_key("sub", "hw", SETTINGS)
    assert len(code_fingerprint()) == 64
    assert key == unit_key("sub", "hw", SETTINGS)
    others = [unit_key("sub2", "hw", SETTINGS), unit_key("sub", "hw2", SETTINGS),
              unit_key("sub", "hw", {**SETTINGS, "limits": Limits(cpu_s=5).to_dict()}),
              unit_key("sub", "hw", {**SETTINGS, "sandbox": False})]
    assert len({key, *others}) == 5


def test_only_a_record_with_the_same_key_comes_back(tmp_path):
    record = record_path(tmp_path, "Zoë", "hw")
    assert load_current(record, "k1") is None  # nothing saved yet
    save(record, SubmissionResult("Zoë", "hw", "ok", cells=[CellResult("t", 1, 1, True)], key="k1"))
    assert record.name == "Zoë__hw.json"
    assert load_current(record, "k1").score == 1
    assert load_current(record, "k2") is None
    record.write_text("{not json")
    assert load_current(record, "k1") is None
