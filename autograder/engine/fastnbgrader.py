"""nbgrader's bookkeeping without repeated work, in a worker that grades many notebooks.

nbgrader checks every cell's nbgrader metadata with `jsonschema.validate(metadata, schema)`, which
checks the schema itself and builds a validator on each call: most of a unit's metadata checks
(CheckCellMetadata after execution, and again when feedback is generated). The same schema's
validator is built once here; what is valid and the ValidationError raised are the same.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

_VALIDATORS: dict[str, object] = {}


def validate(instance, schema) -> None:
    """jsonschema.validate, with the validator of each distinct schema built once."""
    import jsonschema

    key = json.dumps(schema, sort_keys=True)
    if key not in _VALIDATORS:
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        _VALIDATORS[key] = cls(schema)
    error = jsonschema.exceptions.best_match(_VALIDATORS[key].iter_errors(instance))
    if error is not None:
        raise error


def validate_metadata_once_per_schema() -> None:
    """Let nbgrader's metadata validators use `validate` (in this process)."""
    import jsonschema
    from nbgrader.nbgraderformat import common

    common.jsonschema = SimpleNamespace(validate=validate, ValidationError=jsonschema.ValidationError)
