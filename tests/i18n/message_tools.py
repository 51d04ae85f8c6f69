"""What a rendered message must keep and lose in translation (tests/i18n/test_messages.py)."""

from __future__ import annotations

import re
from collections import Counter

_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?")
#: verbatim parts of a message: code spans, quoted text, reprs, errors raised by the student's code
_VERBATIM = re.compile(r"`[^`]*`|'[^']*'|\"[^\"]*\"|\b\w*Error\b[:：][^。\n]*|\b[\w.]*[_.(\[][\w.,:=*/+\-\[\]() ]*[)\]]?")
_ENGLISH_RUN = re.compile(r"\b[A-Za-z]{2,}(?:[ ,\-]+[A-Za-z]{2,}){2,}\b")


def numbers(text: str) -> Counter:
    return Counter(_NUMBER.findall(text))


def english_left(text: str) -> list[str]:
    """Runs of three or more English words outside the verbatim parts (code, quotes, errors)."""
    return _ENGLISH_RUN.findall(_VERBATIM.sub(" ", text))
