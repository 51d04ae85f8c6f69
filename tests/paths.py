"""Where things are, for tests to import (pytest discourages importing conftest)."""

from __future__ import annotations

import hashlib
from pathlib import Path

#: The repository root, which is also the nbgrader course root.
ROOT = Path(__file__).resolve().parent.parent


def tree_digest(folder: Path) -> dict[str, str]:
    """{relative path: sha256} of every file under `folder`: to show that a tree was not modified."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}
