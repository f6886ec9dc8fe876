"""`tidings demo`, as `make demo` runs it: every post published to the sandbox, exit 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_the_demo_publishes_every_post(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")} | {"COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "tidings", "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "received each exactly once" in done.stdout
    for platform_path in ("/feed/update/", "/@demo/", "/profile/", "/t.me/"):
        assert platform_path in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert list(tmp_path.iterdir()) == []  # the throwaway database went with its folder
