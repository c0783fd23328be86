"""The deployment's two keys: the link secret that signs household cards'
links and the contact key that seals the contacts households outside the
registry leave. Every alerts process of a deployment must hold the same
ones, and they must outlive any container: a new link secret voids every
printed card, a new contact key makes every sealed contact unreadable.

A key comes from its setting (POVWATCH_LINK_SECRET, POVWATCH_CONTACT_KEY),
else from its file setting (…_FILE: a mounted secret or a volume), else from
a file in the state directory made once at first use. The last is for a
developer's machine: under POVWATCH_ENV=production it is logged as a warning
at start, since the state directory sits beside the store and is often
inside a container.

A value may hold several keys separated by white space (or one a line in a
file): the first is the one in use, the others are earlier ones, still
accepted to verify a link or open a contact while a rotation is under way
(docs/operations.md, "Rotating the keys")."""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eventsourcing.cipher import AESCipher
from eventsourcing.utils import Environment
from pydantic import SecretStr

from services.infra.settings import Settings

log = logging.getLogger(__name__)


class KeyMissing(ValueError):
    """A key file setting that names no file, or a file without a key."""


@dataclass(frozen=True)
class Key:
    """A key in use and the earlier ones still accepted; ``source`` says
    where it came from (a setting's name or the file), never its value."""

    current: str
    previous: tuple[str, ...] = ()
    source: str = ""

    @classmethod
    def parse(cls, text: str, source: str) -> Key:
        parts = text.split()
        if not parts:
            raise KeyMissing(f"{source}: no key in it")
        return cls(parts[0], tuple(parts[1:]), source)


def deployment_key(
    setting: str,
    configured: SecretStr | None,
    file: Path | None,
    state_file: Path,
    make: Callable[[], str],
    production: bool,
) -> Key:
    """The key named by ``setting`` (e.g. POVWATCH_LINK_SECRET), from where
    the module docstring says."""
    if configured is not None and configured.get_secret_value().strip():
        return Key.parse(configured.get_secret_value(), setting)
    if file is not None:
        if not file.is_file():
            raise KeyMissing(f"{setting}_FILE: no file {file}")
        return Key.parse(file.read_text(), f"{setting}_FILE")
    if production:
        log.warning(
            "%s and %s_FILE are not set: the key is kept in the state directory (%s), beside "
            "the store; a recreated container or another replica makes a different one. "
            "Set %s_FILE to a mounted secret shared by every alerts process",
            setting,
            setting,
            state_file.parent,
            setting,
        )
    return Key.parse(made_once(state_file, make), str(state_file))


def contact_key(settings: Settings) -> Key:
    """The key that seals contacts and heads' names (every process that
    reads or writes either needs it: the alerts process and ingesting monitors)."""
    return deployment_key(
        "POVWATCH_CONTACT_KEY",
        settings.contact_key,
        settings.contact_key_file,
        settings.state_dir / "contact-key",
        lambda: AESCipher.create_key(32),
        settings.env == "production",
    )


class Unreadable(ValueError):
    """A sealed text that no configured key opens."""


class Sealer:
    """Seals text with the current key (AES-256-GCM, the eventsourcing
    library's cipher, base64 for a text column); opens it with the current
    key or an earlier one, saying which."""

    def __init__(self, key: Key) -> None:
        self._ciphers = [
            AESCipher(Environment(env={"CIPHER_KEY": k})) for k in (key.current, *key.previous)
        ]

    def seal(self, text: str) -> str:
        return base64.b64encode(self._ciphers[0].encrypt(text.encode())).decode()

    def open(self, sealed: str) -> tuple[str, bool]:
        """The text and whether the current key opened it."""
        data = base64.b64decode(sealed)
        for i, cipher in enumerate(self._ciphers):
            try:
                return cipher.decrypt(data).decode(), i == 0
            except ValueError:  # the library's answer to a wrong key (GCM's tag)
                continue
        raise Unreadable("cannot be opened with the configured keys")

    def reseal(self, view: Any, after: Callable[[Any], None] = lambda row: None) -> int:
        """Seals again with the current key every row of ``view`` (a document
        view whose documents have a ``sealed`` text) an earlier key sealed;
        the number resealed. ``after`` sees each resealed row. A row no key
        opens stops the walk with ``Unreadable``, changing nothing for it."""
        done, start = 0, None
        while keys := view.keys(start):
            for key in keys:
                row = view.get(key)
                if row is None or not row.sealed:
                    continue
                text, current = self.open(row.sealed)
                if not current:
                    view.save([row.model_copy(update={"sealed": self.seal(text)})], None)
                    done += 1
                    after(row)
            start = keys[-1]
        return done


def made_once(path: Path, make: Callable[[], str]) -> str:
    """The secret kept at ``path``, made at first use (readable by this user
    only). It is written whole under another name and then linked into
    place, so a process starting at the same moment reads either no file or
    the whole key, and the first link wins."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(make())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process made it first
        finally:
            draft.unlink()
    return path.read_text().strip()
