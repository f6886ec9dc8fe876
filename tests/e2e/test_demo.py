"""`tidings demo`, as `make demo` runs it: LinkedIn, Facebook and Threads connected from the web
app through the sandbox's consent page, every post published to the sandbox, exit 0."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

# The accounts the sandbox's consent page connects for the demo's channels.
CONNECTED = {
    "linkedin": "Sandbox Page 2414183",
    "facebook": "Sandbox page 100200300400500",
    "threads": "@demo",
}


def test_the_demo_connects_channels_and_publishes_every_post(tmp_path: Path) -> None:
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
    lines = done.stdout.splitlines()
    daemon = next(i for i, line in enumerate(lines) if line.startswith("Running the daemon"))
    for channel, account in CONNECTED.items():
        said = f"{channel} +connected as {re.escape(account)} through the sandbox's consent page"
        [at] = [i for i, line in enumerate(lines) if re.fullmatch(rf"\s*{said}", line)]
        assert at < daemon  # connected before any post goes out
        # No token_env: each published post proves the connected token was used.
        assert re.search(rf"│ {channel} +│ \w+ +│ published", done.stdout), channel
    assert "received each exactly once" in done.stdout
    for platform_path in (
        "/feed/update/",
        "/@demo/",
        "/profile/",
        "/t.me/",
        "www.facebook.com/100200300400500/posts/",
        "www.threads.net/@demo/post/",
    ):
        assert platform_path in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert list(tmp_path.iterdir()) == []  # the throwaway database went with its folder
