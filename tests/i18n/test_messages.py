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
