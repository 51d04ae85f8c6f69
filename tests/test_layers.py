"""The autograder's folders keep their order (docs/architecture.md): no layer imports one above it."""

from __future__ import annotations

import ast

import pytest

from tests.paths import ROOT

ALLOWED = {"flows": {"engine", "inputs", "outputs", "trusted"}, "engine": {"trusted"}, "outputs": {"inputs"},
           "inputs": set(), "trusted": set()}


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_a_layer_imports_only_what_it_may(layer):
    found = set()
    for path in sorted((ROOT / "autograder" / layer).glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 2 and node.module:
                found.add((node.module.split(".")[0], path.name))
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("autograder."):
                found.add((node.module.split(".")[1], path.name))
    other_layers = {(target, name) for target, name in found if target in ALLOWED and target != layer}
    assert {(t, n) for t, n in other_layers if t not in ALLOWED[layer]} == set()
