"""The povwatch command: thin entry points over the services, one module per audience."""

from services.cli import departments, operators, staff  # noqa: F401  (they register their commands)
from services.cli.common import app

__all__ = ["app"]
