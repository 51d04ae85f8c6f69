"""The grader's own evaluation of answer checks (autograder/trusted/verdicts.py), without a kernel."""

from __future__ import annotations

import json

from autograder.trusted import agent, verdicts

CELL = '''assert check_choice("gap", gap, ("smaller", "larger"))
### BEGIN HIDDEN TESTS
assert check_answer("gap", gap, "smaller",
                    hint="compare the two gaps")
### END HIDDEN TESTS'''


def test_answer_checks_leave_the_kernel_source():
    test = verdicts.plan(CELL)
    assert "check_" not in test.kernel_source and "compare the two gaps" not in test.kernel_source
    assert test.kernel_source.count("\n") == CELL.count("\n")  # line numbers kept
    assert len(test.statements) == 2 and test.names == ["gap"] and not test.functions


FUNCTION_CELL = "assert check_mse(mse)\n### BEGIN HIDDEN TESTS\nassert check_mse(mse, hidden=True)\n### END HIDDEN TESTS"


def test_function_checks_leave_the_kernel_source_and_call_the_function_remotely():
    test = verdicts.plan(FUNCTION_CELL)
    assert "check_mse" not in test.kernel_source and test.functions == ["mse"] and not test.names
    assert len(test.statements) == 2


def test_other_statements_stay_in_the_kernel():
    source = "x = 1\nassert check_mse(lambda a, b: 0)\nassert x == 1"
    test = verdicts.plan(source)
    assert test.kernel_source == source and not test.statements


def test_class_checks_are_evaluated_by_the_grader_too():
    assert verdicts.plan("assert check_dropout_module(Dropout, hidden=True)").functions == ["Dropout"]


def test_a_function_check_without_a_kernel_fails():
    assert verdicts.evaluate(verdicts.plan(FUNCTION_CELL), {}).failure.startswith("GraderCouldNotRead")


def _values(**values):
    return json.loads(json.dumps({k: agent.encode(v) for k, v in values.items()}))


def test_the_verdict_follows_the_reported_value():
    test = verdicts.plan(CELL)
    assert verdicts.evaluate(test, _values(gap="smaller")).failure == ""
    assert "✅" in verdicts.evaluate(test, _values(gap="smaller")).output
    assert "is not the answer we expected" in verdicts.evaluate(test, _values(gap="larger")).failure
    assert verdicts.evaluate(test, {}).failure.startswith("NameError")
    assert verdicts.evaluate(test, None).failure.startswith("GraderCouldNotRead")


def test_values_that_are_not_data_equal_nothing():
    class Yes:
        def __eq__(self, other):
            return True
    test = verdicts.plan(CELL)
    assert "expected one of" in verdicts.evaluate(test, _values(gap=Yes())).failure
    assert verdicts.decode(agent.encode((1, [2.5, float("nan")], {"a": None})))[0] == 1
    assert verdicts.decode(agent.encode((1, 2))) == (1, 2)


def test_a_reply_is_read_as_data_only(tmp_path):
    reply = tmp_path / "reply.json"
    assert verdicts.read_reply(reply) is None
    reply.write_text("not json")
    assert verdicts.read_reply(reply) is None
    reply.write_text(json.dumps({"gap": "smaller"}))
    assert verdicts.read_reply(reply) == {"gap": "smaller"}
    link = tmp_path / "link.json"
    link.symlink_to(reply)
    assert verdicts.read_reply(link) is None
