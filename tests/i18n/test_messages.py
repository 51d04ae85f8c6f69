"""Every check message renders in Chinese, with its numbers, on the corpus's wrong answers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from dlcourse.checks._core import _localized
from dlcourse.checks.fitting import check_mse
from dlcourse.i18n import catalog, language, language_of, localize, use_language
from tests.i18n.corpus_messages import corpus_messages
from tests.i18n.message_tools import english_left, numbers

CATALOG = Path(__file__).resolve().parents[2] / "dlcourse" / "i18n" / "zh.po"


@pytest.fixture(scope="module")
def rendered():
    """(where, English message, its Chinese rendering): what run_suite shows in a zh notebook."""
    with language_of("zh"):
        return [(where, en, _localized(en)) for where, en in corpus_messages("en")]


def test_a_check_run_in_chinese_says_it_in_chinese():
    with language_of("zh"), pytest.raises(AssertionError, match="期望.*实际得到"):
        check_mse(lambda y_hat, y: ((y_hat - y) ** 2).sum())


def test_the_corpus_gives_hundreds_of_messages(rendered):
    assert len(rendered) >= 300


def test_every_message_is_translated(rendered):
    left = [f"{where}: {english_left(zh)} in {zh}" for where, _, zh in rendered if english_left(zh)]
    assert left == []


def test_every_message_keeps_its_numbers(rendered):
    assert [f"{where}: {en} -> {zh}" for where, en, zh in rendered if numbers(en) != numbers(zh)] == []


def test_english_is_unchanged(rendered):
    with language_of("en"):
        assert all(localize(en) == en for _, en, _ in rendered)


def test_every_entry_keeps_its_placeholders():
    with open(CATALOG, "rb") as file:
        entries = [m for m in read_po(file) if m.id]
    assert len(entries) >= 50
    bad = [m.id for m in entries if sorted(re.findall(r"\{\w+\}", m.id)) != sorted(re.findall(r"\{\w+\}", m.string))
           or len(set(re.findall(r"\{\w+\}", m.id))) != len(re.findall(r"\{\w+\}", m.id))]
    assert bad == []
    assert catalog("zh")[1], "the catalog has pattern entries"


def test_the_checks_can_fail_the_translation_test():
    assert english_left("期望 values within the tolerance we allow") != []
    assert english_left("期望 `torch.float32`，实际得到 `torch.float64`") == []
    assert numbers("expected 0.25, got 1e-05") != numbers("期望 0.25，实际得到")


def test_use_language_switches_and_rejects_unknown_languages(capsys):
    try:
        use_language("zh")
        assert language() == "zh" and "中文" in capsys.readouterr().out
        with pytest.raises(ValueError, match="unknown language"):
            use_language("fr")
    finally:
        use_language("en")
    assert language() == "en"


def _summary_and_outcomes():
    """format_summary (a failed, a passed, a not-attempted exercise and one not run yet) and
    format_outcomes (one test cell of each status), as a zh notebook shows them."""
    from autograder.flows.validate import CheckOutcome, format_outcomes
    from dlcourse.checks.protocol import FAILED, NOT_ATTEMPTED, NOT_RUN, NOT_RUN_YET, PASSED
    from dlcourse.checks.selfcheck import REGISTRY, ExerciseStatus, format_summary

    failure = "mse(y_hat, y): expected 1.17689, got 9.41508. Hint: do not call .item() or float() on the result"
    exercises = REGISTRY["01_fitting"]

    def rendered(lang):  # a failure's message is rendered by run_suite, in the notebook's language
        with language_of(lang):
            statuses = [ExerciseStatus(exercises[0], PASSED, ""),
                        ExerciseStatus(exercises[1], FAILED, localize(failure)),
                        ExerciseStatus(exercises[3], NOT_ATTEMPTED, ""),
                        ExerciseStatus(exercises[4], NOT_RUN_YET, "")]
            outcomes = [CheckOutcome("test_poly_features", 2.0, PASSED, ""),
                        CheckOutcome("test_mse", 1.5, FAILED, localize(f"mse: {failure}")),
                        CheckOutcome("test_fit_sgd", 3.0, NOT_ATTEMPTED, ""),
                        CheckOutcome("test_select_degree", 1.0, NOT_RUN,
                                     "not run (an earlier cell timed out or the kernel died)")]
            return (format_summary("01_fitting", statuses), format_summary("01_fitting", statuses[:1]),
                    format_outcomes(outcomes), format_outcomes(outcomes[:1]))

    return rendered("en"), rendered("zh")


def test_the_self_check_and_validate_speak_chinese(monkeypatch):
    for grading in ("validate", "autograde"):  # the summary's header differs when grading
        monkeypatch.setenv("NBGRADER_EXECUTION", grading)
        english, chinese = _summary_and_outcomes()
        for en, zh in zip(english, chinese):
            assert english_left(zh) == [], zh
            assert numbers(en) == numbers(zh), (en, zh)
        summary, passed_only, outcomes, all_passed = chinese
        assert "练习 1" in summary and "问题 1" in summary and "未通过" in summary and "未作答" in summary
        assert "做得好" in passed_only and "1/4" in outcomes and "未运行" in outcomes and "尚未运行" in summary
        assert "test_mse" in outcomes and "1/1" in all_passed


def test_the_chinese_self_check_table_lines_up():
    """The status column starts at the same monospace column in every row, whatever mix of Chinese
    (two columns a character) and Latin labels the rows have."""
    from dlcourse.checks.protocol import PASSED, SIGNS
    from dlcourse.checks.selfcheck import REGISTRY, Exercise, ExerciseStatus, format_summary
    from dlcourse.i18n import display_width

    exercises = [*REGISTRY["01_fitting"][:2], Exercise("Bonus", "test_bonus", ("bonus",))]
    with language_of("zh"):
        table = format_summary("01_fitting", [ExerciseStatus(e, PASSED, "") for e in exercises])
    rows = table.splitlines()[1:-1]
    columns = {display_width(row[:row.index(SIGNS[PASSED])]) for row in rows}
    assert len(rows) == 3 and len(columns) == 1, table
