"""`tidings demo`, as `make demo` runs it: LinkedIn, Facebook and Threads connected from the web
app through the sandbox's consent page, every post published to the sandbox, exit 0; its outcome
wrapped at 80 columns, each link whole, and the way to look around after it: `--keep-open` keeps
the sandbox's page and the web app up, with a password for each demo user."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

# The accounts the sandbox's consent page connects for the demo's channels.
CONNECTED = {
    "linkedin": "Sandbox Page 2414183",
    "facebook": "Sandbox page 100200300400500",
    "threads": "@demo",
}


def demo_environment() -> dict[str, str]:
    """This environment without Tidings' variables, in an 80-column terminal."""
    return {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")} | {"COLUMNS": "80"}


def test_the_demo_connects_channels_and_publishes_every_post(tmp_path: Path) -> None:
    env = demo_environment()
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
        assert re.search(rf"(?m)^post \d+ · draft \d+ · {channel} · \w+: published$", done.stdout)
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
    outcome = lines[lines.index(next(line for line in lines if line.startswith("Outcome"))) :]
    posts = [line for line in outcome if line.startswith("post ")]
    links = [line for line in outcome if re.fullmatch(r"    http://127\.0\.0\.1:\d+/\S+", line)]
    webhooks = [line for line in posts if " · team-chat · " in line]  # an id, not a link
    assert len(posts) == 29 and len(links) == len(posts) - len(webhooks)  # each link whole
    assert all(len(line) <= 80 for line in posts)
    assert lines[-1] == (
        "To look around: tidings demo --keep-open keeps the sandbox's page and the web app open "
        "after the run, with a password for each demo user."
    )
    assert "password" not in "\n".join(lines[:-1])  # shown only while the web app is up


# Ctrl-C, and SIGTERM (kill, a service manager), each stop a kept-open demo and remove its
# throwaway folder; started as a script's background job (``cmd &`` without job control) the
# demo inherits Ctrl-C ignored, and must still stop at it.
STOPS = {"ctrl-c": signal.SIGINT, "sigterm": signal.SIGTERM}


@pytest.mark.parametrize("stop", STOPS.values(), ids=list(STOPS))
def test_the_demo_kept_open_says_where_to_look_and_how_to_log_in(
    tmp_path: Path, stop: signal.Signals
) -> None:
    # faulthandler: a demo that does not stop prints where each thread is (SIGABRT below).
    command = [sys.executable, "-X", "faulthandler", "-m", "tidings", "demo", "--keep-open"]
    demo = subprocess.Popen(
        ["sh", "-c", 'trap "" INT; exec "$@"', "sh", *command],  # Ctrl-C ignored, as a job's
        cwd=tmp_path,
        env=demo_environment() | {"PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert demo.stdout is not None
        said = []
        for line in demo.stdout:
            said.append(line.rstrip("\n"))
            if "Ctrl-C to stop" in line:
                break
        text = "\n".join(said)
        database = re.search(
            r"^Database: sqlite:///(/\S+)/tidings-demo\.db \(throwaway\)$", text, re.M
        )
        assert database, text
        folder = Path(database[1])
        assert folder.is_dir()
        sandbox = re.search(r"^What each platform received: (http://\S+/)$", text, re.M)
        web = re.search(r"^The drafts, .* the outcomes: (http://\S+)/ logged in as$", text, re.M)
        logins = dict(re.findall(r"^  (\w+) \(\w+\) with the password (\S+)$", text, re.M))
        assert sandbox and web, text
        assert set(logins) == {"mina", "joon", "hana"}
        assert "<title>Tidings sandbox</title>" in httpx.get(sandbox[1], timeout=10).text
        with httpx.Client(base_url=web[1], timeout=10) as browser:
            token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/login").text)
            assert token
            form = {"name": "joon", "password": logins["joon"], "csrf_token": token[1]}
            assert browser.post("/login", data=form).status_code == 303
            assert browser.get("/").status_code == 200
        demo.send_signal(stop)
        # Both pipes read while it stops: a child writing to a full pipe nobody reads waits.
        try:
            _, errors = demo.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            demo.send_signal(signal.SIGABRT)
            _, errors = demo.communicate(timeout=30)
            pytest.fail(f"30 s after {stop.name} the demo still ran:\n{errors[-8000:]}")
        assert demo.returncode == 0, errors[-3000:]
        assert not folder.exists()  # the throwaway database, the photo, the config
    finally:
        if demo.poll() is None:  # a failed check: Ctrl-C still, so the demo removes its folder
            demo.send_signal(signal.SIGINT)
            try:
                demo.wait(timeout=30)
            except subprocess.TimeoutExpired:
                demo.kill()
        demo.communicate()
