"""scripts/packages.sh font: what the demo installs for its village notice."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

BASH = shutil.which("bash") or "bash"
SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "packages.sh"


def _run(*args: str, path: str | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": path} if path is not None else None
    return subprocess.run(
        [BASH, str(SCRIPT), *args], capture_output=True, text=True, timeout=60, env=env
    )


def test_a_machine_without_apt_or_fonts_is_told_what_to_install(tmp_path) -> None:
    """No fontconfig, no font, no apt: the demo goes on, and says what to install."""
    for tool in ("grep", "id"):  # the script's tools; apt-get, sudo and fc-* absent
        (tmp_path / tool).symlink_to(shutil.which(tool))
    done = _run("font", path=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "could not install fontconfig fonts-wqy-microhei" in done.stderr
    assert "POVWATCH_PDF_FONT" in done.stderr
    assert "chromium" not in done.stderr and "prometheus" not in done.stderr


def test_the_font_found_installs_nothing() -> None:
    """This machine has the tests' font: the demo's step is silent and quick."""
    done = _run("font")
    assert (done.returncode, done.stderr) == (0, "")


def test_an_unknown_part_is_refused() -> None:
    done = _run("browser")
    assert done.returncode == 2
    assert "usage" in done.stderr
