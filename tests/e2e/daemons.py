"""Daemons as real processes: a config file on disk, `tidings run` in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from drafts.config import Config


def write_config(config: Config, folder: Path, database_url: str, **scheduler: object) -> Path:
    """A config file for ``config``'s channels, with ``database_url`` and scheduler settings."""
    lines = ["[tidings]", 'timezone = "UTC"', f'database = "{database_url}"', "[scheduler]"]
    lines += [f"{key} = {value}" for key, value in scheduler.items()]
    for channel in config.channels:
        lines.append("[[channels]]")
        for key, value in channel.model_dump(exclude_none=True, exclude_defaults=False).items():
            if isinstance(value, tuple | list):
                value = list(value)
            lines.append(f"{key} = {_toml(value)}")
    path = folder / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return '"' + str(value) + '"'


def start_daemon(config_path: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tidings", "run", "--config", str(config_path), *args],
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
