"""nbgrader's metadata checks with the worker's cached validator decide as stock jsonschema does."""

from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import nbformat
import pytest
from nbgrader.nbgraderformat import common
from nbgrader.nbgraderformat.v3 import MetadataValidatorV3

from autograder.engine.fastnbgrader import validate, validate_metadata_once_per_schema

ROOT = Path(__file__).resolve().parents[3]
BREAKAGES = {"points not a number": ("points", "x"), "grade not a boolean": ("grade", "yes"),
             "grade_id not a string": ("grade_id", 3), "no schema version": ("schema_version", None)}


def _metadata() -> list[dict]:
    nb = nbformat.read(ROOT / "source" / "03_dropout" / "03_dropout.ipynb", as_version=4)
    return [cell.metadata["nbgrader"] for cell in nb.cells if "nbgrader" in cell.metadata]


def _verdict(check, instance, schema) -> str:
    try:
        check(instance, schema)
    except jsonschema.ValidationError as error:
        return f"invalid: {error.message}"
    return "valid"


@pytest.mark.parametrize("breakage", [None, *BREAKAGES])
def test_same_verdict_and_message_as_jsonschema(breakage):
    schema = MetadataValidatorV3().schema
    for metadata in _metadata():
        metadata = copy.deepcopy(dict(metadata))
        if breakage:
            key, value = BREAKAGES[breakage]
            metadata.pop(key) if value is None else metadata.__setitem__(key, value)
        stock = _verdict(jsonschema.validate, metadata, schema)
        assert _verdict(validate, metadata, schema) == stock
        assert (stock == "valid") == (breakage is None)


def test_nbgrader_uses_the_cached_validator(monkeypatch):
    monkeypatch.setattr(common, "jsonschema", common.jsonschema)
    validate_metadata_once_per_schema()
    assert common.jsonschema.validate is validate
    nb = nbformat.read(ROOT / "source" / "03_dropout" / "03_dropout.ipynb", as_version=4)
    MetadataValidatorV3().validate_nb(nb)
    next(c for c in nb.cells if "nbgrader" in c.metadata).metadata["nbgrader"]["points"] = "x"
    with pytest.raises(jsonschema.ValidationError):
        MetadataValidatorV3().validate_nb(nb)
