"""The glossary's terms are used the same way everywhere, in both editions."""

from __future__ import annotations

import nbformat
import pytest

from autograder.flows import translate
from tests.i18n.glossary_tools import (KEY_TERMS, OLD_ALIASES, alias_problems, consistency_problems,
                                       first_use_problems)
from tests.paths import ROOT

SOURCES = translate.sources(ROOT)
TOPICS = [nb for nb in SOURCES if not nb.name.startswith("00_")]
GLOSSARY_CELL = "cell-007"  #: the start page's glossary table


def _markdown(notebook):
    return [cell for cell in nbformat.read(notebook, as_version=4).cells if cell.cell_type == "markdown"]


def _pairs(notebook):
    blocks = translate.read_blocks(translate.translation_path(ROOT, notebook, "zh"))
    return [(cell, blocks[cell.id].text) for cell in _markdown(notebook) if cell.id in blocks]


def _name(notebook):
    return notebook.relative_to(ROOT).as_posix()


def test_the_start_page_glossary_has_every_key_term_and_old_alias():
    glossary = next(c.source for c in _markdown(ROOT / "notebooks" / "00_start_here.ipynb") if c.id == GLOSSARY_CELL)
    assert [zh for zh, _ in KEY_TERMS.values() if zh not in glossary.replace("–", "-")] == []
    assert [alias for alias in OLD_ALIASES if f"v1: {alias}" not in glossary] == []


@pytest.mark.parametrize("notebook", SOURCES, ids=_name)
def test_the_translation_uses_the_glossary_terms(notebook):
    pairs = [(cell.source, zh) for cell, zh in _pairs(notebook) if cell.id != GLOSSARY_CELL]
    assert consistency_problems(pairs) == []
    assert [p for _, zh in pairs for p in alias_problems(zh)] == []


@pytest.mark.parametrize("notebook", SOURCES, ids=_name)
def test_the_english_edition_uses_no_old_alias(notebook):
    assert [p for cell in _markdown(notebook) if cell.id != GLOSSARY_CELL for p in alias_problems(cell.source)] == []


@pytest.mark.parametrize("notebook", TOPICS, ids=_name)
def test_each_key_term_gives_the_other_language_at_first_use(notebook):
    english = [cell.source for cell in _markdown(notebook)]
    chinese = [zh for _, zh in _pairs(notebook)]
    assert first_use_problems(english, "en") == []
    assert first_use_problems(chinese, "zh") == []


def test_first_use_and_consistency_can_fail():
    assert first_use_problems(["Dropout helps.", "dropout (暂退法)"], "en") != []
    assert first_use_problems(["Dropout (暂退法) helps."], "en") == []
    assert first_use_problems(["暂退法可以缓解过拟合。"], "zh", {"dropout": KEY_TERMS["dropout"]}) != []
    assert first_use_problems(["暂退法（dropout）可以缓解。"], "zh", {"dropout": KEY_TERMS["dropout"]}) == []
    assert consistency_problems([("Weight decay shrinks w.", "权重缩小。")]) != []
    assert consistency_problems([("Weight decay shrinks `w`.", "权重衰减使 `w` 变小。")]) == []
    assert alias_problems("丢弃法") != []
