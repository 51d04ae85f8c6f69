"""A Chinese notebook's feedback page: nbgrader's template words and the skipped cells' note in Chinese."""

from __future__ import annotations

from autograder.engine.feedback import PAGE_WORDS, localize_page
from autograder.engine.skipping import NOT_RUN_TEXT

PAGE = ('<h4>03_dropout (Score: 3.0 / 13.0)</h4><li><a href="#t">Test cell</a> (Score: 1.0 / 1.0)</li>'
        '<div>Score: 1.0 / 1.0 <a href="#top">(Top)</a></div><span class="nbgrader-label">Student\'s answer</span>'
        f'<b>Comments:</b><pre>{NOT_RUN_TEXT.strip()}</pre><p>Test cells check your work.</p>')


def test_the_page_words_are_translated_and_the_numbers_kept():
    page = localize_page(PAGE, "zh")
    assert "得分" in page and "(Score" not in page and ">Test cell<" not in page
    assert "3.0 / 13.0" in page and "1.0 / 1.0" in page
    assert NOT_RUN_TEXT.strip() not in page and "评分时未运行" in page
    assert "<p>Test cells check your work.</p>" in page  # the notebook's own text is not the template's


def test_every_page_word_has_a_translation():
    assert [w for w in PAGE_WORDS if localize_page(f">{w}<", "zh") == f">{w}<"] == []


def test_an_english_page_is_unchanged():
    assert localize_page(PAGE, "en") == PAGE
