"""The township inbox (web pages) served by the alerts service."""

from services.alerts.inbox.pages import install

__all__ = ["install"]
