"""The departments' cadences file: the packaged one or POVWATCH_FEEDS_FILE."""

from __future__ import annotations

from pathlib import Path

from domain.feeds import FeedBook
from services.infra.settings import Settings

DEFAULT_FEEDS = Path(__file__).resolve().parent.parent / "defaults" / "feeds.toml"


def load_feeds(settings: Settings) -> FeedBook:
    path = settings.feeds_file or DEFAULT_FEEDS
    return FeedBook.from_toml(path.read_text(encoding="utf-8"), origin=str(path))
