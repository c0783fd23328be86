"""What a task or silence command refuses before it looks at the state: text
too long, missing or holding a personal number. Kept apart from the
aggregates so that every entry point shares the same limits and messages."""

from __future__ import annotations

from domain.privacy import PersonalNumber, no_personal_numbers

# What staff write is stored, shown and published: bounded, and plain.
NOTE_MAX = 2000  # a visit's note, an outcome, a dismissal's reason
DEPARTMENT_MAX = 100
SILENCE_REASON_MAX = 500


class TaskError(ValueError):
    """A command the domain refuses. Raised as such: the task's state does not
    allow it (HTTP 409); its subclass ``TaskInputError`` is bad input (422)."""


class TaskInputError(TaskError):
    """Input a command's rules refuse, named by its field. ``problem`` is a
    code the pages translate ("required", "too_long", "future",
    "personal_number", "unknown_measure", "unknown_factor", "scope",
    "expired"); ``limit`` the bound that was passed, if any."""

    def __init__(self, field: str, problem: str, message: str, limit: int | None = None) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.problem, self.message, self.limit = field, problem, message, limit


class PersonalText(TaskInputError):
    """Text that holds an ID, phone or bank account number."""


def plain_text(name: str, text: str, most: int, least: int = 0) -> None:
    """Refuses text that is missing (when ``least`` > 0), longer than ``most``
    characters or holds a personal number."""
    if least and len(text.strip()) < least:
        raise TaskInputError(name, "required", "is required")
    if len(text) > most:
        raise TaskInputError(name, "too_long", f"at most {most} characters", most)
    try:
        no_personal_numbers(text)
    except PersonalNumber as e:
        raise PersonalText(name, "personal_number", str(e)) from None
