"""422 answers that do not echo connector secrets (see eventkit.redaction)."""

from __future__ import annotations

from eventkit.redaction import secret_safe_validation_errors
from gateway.schemas import SECRET_FIELDS

validation_error = secret_safe_validation_errors(SECRET_FIELDS)
