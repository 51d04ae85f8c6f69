"""Grading limits the nbgrader way: traits of config.Limits, set in nbgrader_config.py or by the
grade command's flags (generated from the traits); a flag wins over the course's setting."""

from __future__ import annotations

from autograder.cli import build_parser
from autograder.config import course_limits
from autograder.config import LIMIT_NAMES, Limits


def _course(tmp_path, config: str):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n" + config)
    (tmp_path / "source").mkdir()
    return tmp_path


def test_the_course_sets_limits_in_nbgrader_config(tmp_path):
    root = _course(tmp_path, "c.Limits.memory_mb = 1234\nc.Limits.cell_timeout_s = 7\n")
    limits = course_limits(root)
    assert (limits.memory_mb, limits.cell_timeout_s, limits.cpu_s) == (1234, 7, Limits().cpu_s)


def test_a_flag_wins_over_the_course_and_the_cell_timeout_falls_back_on_execute(tmp_path):
    root = _course(tmp_path, "c.Limits.memory_mb = 1234\nc.Execute.timeout = 42\n")
    args = build_parser().parse_args(["grade", "subs", "--out", "o", "--memory", "99"])
    limits = course_limits(root, **{n: getattr(args, n) for n in LIMIT_NAMES if getattr(args, n) is not None})
    assert (limits.memory_mb, limits.cell_timeout_s) == (99, 42)


def test_every_limit_has_one_flag_and_crosses_processes_as_data():
    grade = build_parser()._subparsers._group_actions[0].choices["grade"]
    flags = {action.dest: action for action in grade._actions}
    for name in LIMIT_NAMES:
        assert flags[name].default is None and f"else {Limits.class_traits()[name].default_value}" in flags[name].help
    assert Limits(**Limits(cpu_s=5).to_dict()) == Limits(cpu_s=5) == Limits().with_changes(cpu_s=5) != Limits()
