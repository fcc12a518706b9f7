"""422 answers an operator can act on, that do not echo connector secrets (see
eventkit.redaction). A value that does not match its field's shape is told what the shape is
in words: pydantic's own message quotes the regular expression, which a person typing an
e-mail address in the console cannot be expected to read."""

from __future__ import annotations

from typing import Any

from eventkit.redaction import secret_safe_validation_errors
from gateway.schemas import SECRET_FIELDS

# Field name (the last part of the error's location) -> what a valid value looks like.
_SHAPES = {
    "email": "an e-mail address such as name@example.com (no spaces)",
    "sku": "letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. LOTION-200ML)",
    "order_id": "letters, digits, '.', '_', ':' or '-', starting with a letter or digit",
    "tracking_no": "4 to 40 letters, digits or '-', starting with a letter or digit",
    "currency": "a three-letter ISO 4217 code in capitals, e.g. EUR",
    "shop": "letters, digits, '.', '_' or '-', starting with a letter or digit",
}


def _in_words(err: dict[str, Any]) -> dict[str, Any]:
    loc = err.get("loc") or ()
    shape = _SHAPES.get(str(loc[-1])) if loc else None
    if err.get("type") != "string_pattern_mismatch" or shape is None:
        return err
    return {**err, "msg": f"must be {shape}"}


validation_error = secret_safe_validation_errors(SECRET_FIELDS, rewrite=_in_words)
