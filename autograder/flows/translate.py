"""Translated editions of the notebooks, built from the English ones and keyed translations.

The English notebooks are the one source of code, tests, data and figures. A translation lives in
`i18n/<lang>/<notebook path, .md instead of .ipynb>`, one block per markdown cell:

    <!-- cell: cell-003 | en: 1f2e3d4c -->
    ## 1 · 单个单元上的暂退法
    ...

`cell` is the English cell's id, `en` the first 8 hex digits of the SHA-256 of its source when the
block was translated: when the English cell changes, the block is stale until a translator updates
it and its hash (`python -m autograder translate status` lists what to do). Code cells are never
translated; the built notebook gets one extra, ungraded cell after the imports cell that switches
the checks' messages and the figures to the language (`use_language`).

Built editions: `notebooks/<lang>/NAME.ipynb` from `notebooks/NAME.ipynb`, and
`release/ID/<lang>/ID.ipynb` from `release/ID/ID.ipynb` (graded cells identical, so a student may
work in either and submit it as `ID.ipynb`).
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from dlcourse.i18n import LANGUAGES as NOTEBOOK_LANGUAGES

from ..config import assignments

LANGUAGES = NOTEBOOK_LANGUAGES[1:]  #: the translated editions (English is the source)
MARKER = re.compile(r"^<!-- cell: (?P<cell>[^ |]+) \| en: (?P<hash>[0-9a-f]{8}) -->$", re.M)
LANGUAGE_CELL_ID = "use-language"
_HEADER = ("<!-- {lang} translation of {path}: one block per markdown cell, keyed by the English "
           "cell's id and the hash of its source (python -m autograder translate status). -->\n")


@dataclass(frozen=True)
class Block:
    cell_id: str
    english_hash: str
    text: str


def source_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def translation_path(root: Path, notebook: Path, lang: str) -> Path:
    return root / "i18n" / lang / notebook.relative_to(root).with_suffix(".md")


def read_blocks(path: Path) -> dict[str, Block]:
    """The blocks of a translation file, by cell id (a missing file has none)."""
    if not path.exists():
        return {}
    text = path.read_text(encoding="utf-8")
    marks = list(MARKER.finditer(text))
    blocks = {}
    for mark, following in zip(marks, [*marks[1:], None]):
        body = text[mark.end():following.start() if following else len(text)]
        blocks[mark["cell"]] = Block(mark["cell"], mark["hash"], body.strip("\n"))
    return blocks


def write_blocks(path: Path, blocks: list[Block], lang: str, english: Path, root: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    parts = [_HEADER.format(lang=lang, path=english.relative_to(root).as_posix())]
    parts += [f"<!-- cell: {b.cell_id} | en: {b.english_hash} -->\n{b.text}\n" for b in blocks]
    path.write_text("\n".join(parts), encoding="utf-8")


def _markdown_cells(nb) -> list:
    return [cell for cell in nb.cells if cell.cell_type == "markdown"]


_PROSE = re.compile(r"`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|<[^>]+>|https?://\S+", re.S)


def needs_translation(english: str) -> bool:
    """Has the cell words to translate (not only formulas, code and markup)?"""
    return re.search(r"[A-Za-z]{3,}", _PROSE.sub(" ", english)) is not None


def skeleton(root: Path, notebook: Path, lang: str) -> Path:
    """Add a block (holding the English text, to be translated) for every markdown cell that has
    none; keep every existing block; drop blocks of cells that no longer exist."""
    nb = nbformat.read(notebook, as_version=4)
    path = translation_path(root, notebook, lang)
    existing = read_blocks(path)
    blocks = [existing.get(cell.id) or Block(cell.id, source_hash(cell.source), cell.source)
              for cell in _markdown_cells(nb)]
    write_blocks(path, blocks, lang, notebook, root)
    return path


def stamp(root: Path, notebook: Path, lang: str) -> Path:
    """Mark every block of `notebook`'s translation as current: its hash becomes the English cell's.
    Run it after updating the translation of the cells `status` reported as changed."""
    nb = nbformat.read(notebook, as_version=4)
    path = translation_path(root, notebook, lang)
    blocks = read_blocks(path)
    current = {cell.id: source_hash(cell.source) for cell in _markdown_cells(nb)}
    write_blocks(path, [Block(b.cell_id, current.get(b.cell_id, b.english_hash), b.text) for b in blocks.values()],
                 lang, notebook, root)
    return path


def problems(root: Path, notebook: Path, lang: str) -> list[str]:
    """What keeps the translation of `notebook` from being complete and current."""
    nb = nbformat.read(notebook, as_version=4)
    path = translation_path(root, notebook, lang)
    if not path.exists():
        return [f"{path.relative_to(root)} is missing: run `python -m autograder translate skeleton`"]
    blocks = read_blocks(path)
    found = []
    for cell in _markdown_cells(nb):
        block = blocks.get(cell.id)
        where = f"{path.relative_to(root)}, cell {cell.id}"
        if block is None:
            found.append(f"{where}: no translation")
        elif block.english_hash != source_hash(cell.source):
            found.append(f"{where}: the English cell changed since it was translated (hash {block.english_hash}, "
                         f"now {source_hash(cell.source)}): update the translation, then its hash")
        elif block.text.strip() == cell.source.strip() and needs_translation(cell.source):
            found.append(f"{where}: still the English text")
    ids = {cell.id for cell in _markdown_cells(nb)}
    found += [f"{path.relative_to(root)}, cell {cell_id}: no such markdown cell in {notebook.name}"
              for cell_id in blocks if cell_id not in ids]
    return found


def language_cell(lang: str):
    cell = nbformat.v4.new_code_cell(f'from dlcourse.i18n import use_language\n\nuse_language("{lang}")')
    cell.id = LANGUAGE_CELL_ID
    return cell


def translate_notebook(nb, blocks: dict[str, Block], lang: str):
    """A copy of `nb` with its markdown cells translated and the language cell after the first code
    cell (the imports). Code cells, their metadata and the graded cells are untouched."""
    out = copy.deepcopy(nb)
    for cell in _markdown_cells(out):
        if cell.id in blocks:
            cell.source = blocks[cell.id].text
    first_code = next((i for i, cell in enumerate(out.cells) if cell.cell_type == "code"), -1)
    out.cells.insert(first_code + 1, language_cell(lang))
    out.metadata.setdefault("dlcourse", {})["language"] = lang
    return out


def _notebooks(root: Path) -> list[tuple[Path, Path]]:
    """(translation key, notebook an edition is made of) for the companions and the assignments.

    An assignment's translation is keyed by its source notebook; the edition is made from the
    release notebook (same markdown cells and ids: nbgrader keeps them)."""
    companions = sorted((root / "notebooks").glob("*.ipynb"))
    return [*((nb, nb) for nb in companions),
            *((root / "source" / a / f"{a}.ipynb", root / "release" / a / f"{a}.ipynb") for a in assignments(root))]


def sources(root: Path) -> list[Path]:
    """The English notebooks that have translated editions: companions and assignment sources."""
    return [key for key, _ in _notebooks(root)]


def built_from(root: Path, lang: str) -> list[tuple[Path, Path, Path]]:
    """(English notebook the edition is made of, translation file, edition) for every edition,
    which lies in a `lang` folder beside the notebook it is made of."""
    return [(made_from, translation_path(root, key, lang), made_from.parent / lang / made_from.name)
            for key, made_from in _notebooks(root)]


def build(root: Path, lang: str = "zh", only: str | None = None) -> list[Path]:
    """Write the translated editions (`only`: "notebooks" or "release"); return their paths."""
    written = []
    for english, translation, edition in built_from(root, lang):
        if only and english.relative_to(root).parts[0] != only:
            continue
        nb = nbformat.read(english, as_version=4)
        edition.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(translate_notebook(nb, read_blocks(translation), lang), edition)
        written.append(edition)
    return written
