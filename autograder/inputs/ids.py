"""Student ids: kept exactly as the class list gives them (NFC), each with a folder name.

nbgrader keeps a student's files in `<step>/<student>/<assignment>/` and looks them up with glob,
so an id becomes a folder name. Most ids (letters and digits of any script, `_ - . @ +`) are
their own folder name. Any other character is written as `%XX` (its UTF-8 bytes, as in URLs):
`a/b` -> `a%2Fb`. A literal `%` is always encoded, so the mapping is reversible and two ids
never share a folder. Results, CSVs and exports always carry the original id.
"""

from __future__ import annotations

import hashlib
import unicodedata
from urllib.parse import unquote

from ..errors import UsageError

KEPT_PUNCTUATION = "_-.@+"
MAX_FOLDER_BYTES = 150  #: longer names are shortened with a hash (file systems allow 255 bytes)


def normalize_id(text: str) -> str:
    """A student id as compared and stored: Unicode NFC, surrounding whitespace removed."""
    return unicodedata.normalize("NFC", text).strip()


def _kept(char: str, first: bool) -> bool:
    if first and char in ".-":  # hidden files, command-line options
        return False
    return unicodedata.category(char)[0] in "LMN" or char in KEPT_PUNCTUATION


def folder_name(student_id: str) -> str:
    """The folder that holds this student's files (see the module docstring)."""
    if not student_id:
        raise UsageError("a student id cannot be empty")
    name = "".join(char if _kept(char, index == 0) else "".join(f"%{b:02X}" for b in char.encode())
                   for index, char in enumerate(student_id))
    if len(name.encode()) > MAX_FOLDER_BYTES:  # "~" never appears otherwise: it would be %7E
        digest = hashlib.sha256(student_id.encode()).hexdigest()[:12]
        name = name.encode()[:MAX_FOLDER_BYTES - 13].decode(errors="ignore") + "~" + digest
    return name


def id_from_folder(folder: str) -> str:
    """The id a folder name stands for: the inverse of folder_name for names it made.

    A folder written by hand (e.g. `Zoë`, or `50%` that folder_name would write as `50%25`) is
    taken as the id itself.
    """
    if "%" in folder:
        decoded = unquote(folder, errors="strict") if _decodable(folder) else folder
        if folder_name(decoded) == folder:
            return decoded
    return normalize_id(folder)


def _decodable(folder: str) -> bool:
    try:
        unquote(folder, errors="strict")
        return True
    except UnicodeDecodeError:
        return False
