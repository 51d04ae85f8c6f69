"""The language of the checks' messages and of the figures: `use_language("zh")`.

The English text is the source; a message catalog per language (`<lang>.po`, gettext's format, read
with Babel) translates it when it is shown. An entry's msgid may hold placeholders, `{what}`: it
then matches any text of that form, and the pieces the placeholders stand for are translated in
turn (except the verbatim ones: names, values and errors of the student's code). Numbers, names and
values pass through unchanged. Text no entry matches stays English.

In a notebook, a setup cell calls `use_language("zh")` (the Chinese editions have it); graded cells
are the same in every language. The grader evaluates checks with the notebook's language
(`language_of`).
"""

from __future__ import annotations

import contextlib
import os
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

LANGUAGES = ("en", "zh")
VERBATIM = frozenset({"name", "value", "error", "code", "call", "number", "expr"})  #: never translated
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_CURRENT = ["en"]
_MAX_DEPTH = 6


def use_language(lang: str) -> None:
    """Show the checks' messages, the self-check and the figures in `lang` ("en" or "zh")."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: choose one of {', '.join(LANGUAGES)}")
    _CURRENT[0] = lang
    if lang != "en":
        from .figures import localize_figures
        localize_figures()
    print(localize("Checks and figures now speak English.", lang))


def display_width(text: str) -> int:
    """Columns `text` takes in a monospace font: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    """`text` padded with spaces to `width` monospace columns (str.ljust counts characters)."""
    return text + " " * (width - display_width(text))


def language() -> str:
    return _CURRENT[0]


@contextlib.contextmanager
def language_of(lang: str):
    """Messages in `lang` inside the block (the grader, for one notebook)."""
    previous = _CURRENT[0]
    _CURRENT[0] = lang if lang in LANGUAGES else "en"
    try:
        yield
    finally:
        _CURRENT[0] = previous


_USE_LANGUAGE = re.compile(r"""^\s*use_language\(\s*["'](\w+)["']\s*\)""", re.M)


def notebook_language(nb) -> str:
    """The language a notebook chose: the last `use_language("..")` call of its code cells, else its
    metadata (dlcourse.language), else English."""
    found = [m.group(1) for cell in nb.cells if cell.get("cell_type") == "code"
             for m in _USE_LANGUAGE.finditer(cell.get("source", ""))]
    if found:
        return found[-1] if found[-1] in LANGUAGES else "en"
    chosen = nb.get("metadata", {}).get("dlcourse", {}).get("language", "en")
    return chosen if chosen in LANGUAGES else "en"


@dataclass(frozen=True)
class _Entry:
    regex: re.Pattern
    template: str
    literal: int  #: characters outside placeholders: longer entries are tried first


def _compile(msgid: str) -> re.Pattern:
    parts, last = [], 0
    for match in _PLACEHOLDER.finditer(msgid):
        parts += [re.escape(msgid[last:match.start()]), f"(?P<{match.group(1)}>.+?)"]
        last = match.end()
    return re.compile("".join([*parts, re.escape(msgid[last:])]), re.S)


@cache
def catalog(lang: str) -> tuple[dict[str, str], tuple[_Entry, ...]]:
    """(exact translations, pattern entries longest first) of `lang`'s catalog."""
    from babel.messages.pofile import read_po

    with open(Path(__file__).with_name(f"{lang}.po"), "rb") as file:
        messages = [m for m in read_po(file) if m.id and m.string and not m.fuzzy]
    exact = {m.id: m.string for m in messages if not _PLACEHOLDER.search(m.id)}
    entries = [_Entry(_compile(m.id), m.string, len(_PLACEHOLDER.sub("", m.id)))
               for m in messages if _PLACEHOLDER.search(m.id)]
    return exact, tuple(sorted(entries, key=lambda e: -e.literal))


def localize(text: str, lang: str | None = None) -> str:
    """`text` in `lang` (default: the current language); English when no catalog entry matches."""
    lang = lang or _CURRENT[0]
    if lang == "en" or not _has_words(text):  # numbers, tick labels, formulas: nothing to translate
        return text
    return _localized(text, lang, 0)


@lru_cache(maxsize=8192)
def _localized(text: str, lang: str, _depth: int) -> str:
    if _depth > _MAX_DEPTH:
        return text
    exact, entries = catalog(lang)
    if text in exact:
        return exact[text]
    stripped = text.strip()
    if stripped != text and stripped:
        return text.replace(stripped, _localized(stripped, lang, _depth), 1)
    for entry in entries:
        match = entry.regex.fullmatch(text)
        if match:
            values = {key: value if key in VERBATIM or not _has_words(value) else _localized(value, lang, _depth + 1)
                      for key, value in match.groupdict().items()}
            return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group()), entry.template)
    _note_missing(text, lang)
    return text


def _note_missing(text: str, lang: str) -> None:
    """With DLCOURSE_I18N_MISSING=FILE, untranslated texts are appended to FILE (for translators)."""
    target = os.environ.get("DLCOURSE_I18N_MISSING")
    if target and _has_words(text):
        with open(target, "a", encoding="utf-8") as file:
            file.write(repr(text) + "\n")


_MATH = re.compile(r"\$[^$]*\$")


def _has_words(text: str) -> bool:
    """Has `text` a word outside $math$ (a tick label such as $\\mathdefault{10^{-3}}$ has none)?"""
    return bool(text) and re.search(r"[A-Za-z]{2,}", _MATH.sub("", text)) is not None


__all__ = ["use_language", "language", "language_of", "localize", "notebook_language"]
