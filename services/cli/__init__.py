"""The povwatch command: thin entry points over the services, one module per audience."""

from services.cli import (  # noqa: F401  (they register their commands)
    cards,
    cases,
    departments,
    exports,
    keys,
    operators,
    reports,
    staff,
    whatif,
)
from services.cli.common import app

__all__ = ["app"]
