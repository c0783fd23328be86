"""A domain input error as an HTTP answer: 422 naming the field, in the shape
FastAPI gives its own validation errors, so a client reads both alike. The
alerts' and the cases' APIs answer with it; the rule itself is the domain's."""

from __future__ import annotations

from fastapi.exceptions import RequestValidationError

from domain.task_input import TaskInputError


def refused(e: TaskInputError) -> RequestValidationError:
    """A domain input error in the shape FastAPI gives its own 422s."""
    return RequestValidationError(
        [{"type": "value_error", "loc": ("body", e.field), "msg": e.message, "input": None}]
    )
