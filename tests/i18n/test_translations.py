"""The Chinese editions: complete, current, built from the English notebooks, graded cells identical."""

from __future__ import annotations

import re
from collections import Counter

import nbformat
import pytest

from autograder.flows import translate
from tests.paths import ROOT

EDITIONS = translate.built_from(ROOT, "zh")


def _name(value):
    return value.relative_to(ROOT).as_posix() if hasattr(value, "relative_to") else str(value)


@pytest.mark.parametrize("notebook", translate.sources(ROOT), ids=_name)
def test_every_translation_is_complete_and_current(notebook):
    assert translate.problems(ROOT, notebook, "zh") == []


@pytest.mark.parametrize("english, translation, edition", EDITIONS, ids=[_name(e[2]) for e in EDITIONS])
def test_the_committed_edition_is_what_the_build_makes_now(english, translation, edition):
    assert edition.exists(), f"{_name(edition)} missing: run `make translations`"
    built = translate.translate_notebook(nbformat.read(english, as_version=4), translate.read_blocks(translation), "zh")
    assert nbformat.read(edition, as_version=4) == built, f"{_name(edition)} is out of date: run `make translations`"


@pytest.mark.parametrize("english, translation, edition", [e for e in EDITIONS if e[0].parts[-3] == "release"],
                         ids=lambda v: _name(v))
def test_a_chinese_assignment_has_the_english_graded_cells(english, translation, edition):
    """Same code cells with the same nbgrader metadata, in the same order; one extra ungraded cell."""
    en = [c for c in nbformat.read(english, as_version=4).cells if c.cell_type == "code"]
    zh = [c for c in nbformat.read(edition, as_version=4).cells if c.cell_type == "code"]
    extra = [c for c in zh if c.id == translate.LANGUAGE_CELL_ID]
    assert len(extra) == 1 and "nbgrader" not in extra[0].metadata
    assert [(c.id, c.source, c.metadata) for c in zh if c.id != translate.LANGUAGE_CELL_ID] == \
        [(c.id, c.source, c.metadata) for c in en]


def _tiny(tmp_path, text="## Weight decay\n\nShrink the weights."):
    root = tmp_path / "course"
    (root / "notebooks").mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(text), nbformat.v4.new_code_cell("import torch")]
    nb.cells[0].id = "intro"
    path = root / "notebooks" / "01_demo.ipynb"
    nbformat.write(nb, path)
    return root, path


def test_status_finds_missing_untranslated_and_stale_translations(tmp_path):
    root, path = _tiny(tmp_path)
    assert "missing" in translate.problems(root, path, "zh")[0]
    translate.skeleton(root, path, "zh")
    assert "still the English text" in translate.problems(root, path, "zh")[0]
    blocks = translate.read_blocks(translate.translation_path(root, path, "zh"))
    translate.write_blocks(translate.translation_path(root, path, "zh"),
                           [translate.Block("intro", blocks["intro"].english_hash, "## 权重衰减\n\n缩小权重。")],
                           "zh", path, root)
    assert translate.problems(root, path, "zh") == []
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source += " Always."
    nbformat.write(nb, path)
    assert "changed since it was translated" in translate.problems(root, path, "zh")[0]
    translate.stamp(root, path, "zh")
    assert translate.problems(root, path, "zh") == []


def test_the_edition_switches_the_language_after_the_imports(tmp_path):
    root, path = _tiny(tmp_path)
    translate.skeleton(root, path, "zh")
    edition = translate.translate_notebook(nbformat.read(path, as_version=4), {"intro": translate.Block("intro", "x", "缩小")}, "zh")
    assert [c.source for c in edition.cells][0] == "缩小"
    assert edition.cells[2].id == translate.LANGUAGE_CELL_ID and 'use_language("zh")' in edition.cells[2].source
    assert edition.metadata["dlcourse"]["language"] == "zh"


_MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]*\$", re.S)


@pytest.mark.parametrize("notebook", translate.sources(ROOT), ids=_name)
def test_a_translation_keeps_every_formula(notebook):
    """The same formulas ($...$, $$...$$), character for character, in each cell and its translation."""
    blocks = translate.read_blocks(translate.translation_path(ROOT, notebook, "zh"))
    changed = [cell.id for cell in nbformat.read(notebook, as_version=4).cells
               if cell.cell_type == "markdown" and cell.id in blocks
               and Counter(_MATH.findall(cell.source)) != Counter(_MATH.findall(blocks[cell.id].text))]
    assert changed == []
