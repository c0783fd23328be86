"""The procedure's refusals as HTTP answers: 422 with the field, 403 for a
role or an area, 409 for a state that does not allow the step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import HTTPException

from domain.case_input import CaseForbidden
from domain.task_input import TaskError, TaskInputError
from services.infra.refusals import refused


def translated(call: Callable[[], Any]) -> Any:
    """The domain's refusals as HTTP answers."""
    try:
        return call()
    except TaskInputError as e:
        raise refused(e) from None
    except CaseForbidden as e:
        raise HTTPException(403, str(e)) from None
    except TaskError as e:
        raise HTTPException(409, str(e)) from None
