"""Crash recovery benchmark (issue 19): how long after a kill -9 until every post is settled.

    python bench/crash_recovery.py                   # 20 posts, each create held 2 s, both backends
    python bench/crash_recovery.py --backend sqlite --posts 40 --hold 3

For each backend it queues N approved posts, half on a Mastodon channel (its Idempotency-Key
lets a takeover resend safely) and half on a Telegram channel (no check: a taken-over post goes
to a person), all due at once, on the sandbox, which holds every create ``--hold`` seconds
after storing it. ``tidings run`` starts, is killed with SIGKILL half a second after the first
post arrives, and a new daemon starts at once: either on the same host (it knows its
predecessor's process has ended) or as a peer in a PID namespace of its own, standing for
another host (it waits for the dead daemon to miss ``missed_beats`` heartbeats). It prints the
time from that start to every post settled (published, or needs_attention), how many were in
flight, and how many the platforms received twice (never, if all is well). The daemons use the
default heartbeat (2 s, 3 missed beats). Nothing here is asserted: it prints figures.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dispatch import _database, _free_port, _move_due, _queue, _wait_for  # noqa: E402

FINAL = {"published", "needs_attention", "failed", "expired", "cancelled"}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=20, help="half Mastodon, half Telegram")
    parser.add_argument("--hold", type=float, default=2.0, help="seconds each create is held")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    port = _free_port()
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "tidings", "sandbox", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base)
        print(
            f"{args.posts} posts (half Mastodon, half Telegram), each create held {args.hold:g} s; "
            "kill -9 half a second into sending; default heartbeat (2 s, 3 missed beats)"
        )
        backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
        peers = [("restart on the same host", False)]
        if shutil.which("unshare"):
            peers.append(("a peer on another host (own PID namespace)", True))
        for backend in backends:
            for label, elsewhere in peers:
                with _database(backend) as url, tempfile.TemporaryDirectory() as folder:
                    figures = _crash(args, base, url, Path(folder), elsewhere)
                print(f"{backend}, {label}: {figures}")
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)


def _crash(args: argparse.Namespace, base: str, url: str, folder: Path, elsewhere: bool) -> str:
    from drafts.config import load_config
    from drafts.storage import Database

    httpx.post(f"{base}/_sandbox/reset")
    config_path = _write_config(folder, base, url)
    config = load_config(config_path)
    database = Database(url)
    _queue(database, config, args.posts, lambda _: datetime.now(UTC) + timedelta(hours=1))
    _move_due(database, datetime.now(UTC))
    fault = {"kind": "slow_after_accept", "seconds": args.hold, "times": None}
    httpx.post(f"{base}/_sandbox/faults", json=fault).raise_for_status()

    first = _daemon(config_path)
    while not httpx.get(f"{base}/_sandbox/posts").json()["posts"]:
        time.sleep(0.02)
    time.sleep(0.5)
    first.send_signal(signal.SIGKILL)
    first.wait()
    in_flight = _statuses(database)["publishing"]

    started, started_at = time.monotonic(), datetime.now(UTC)
    second = _daemon(config_path, "--drain", elsewhere=elsewhere)
    while sum(n for status, n in _statuses(database).items() if status in FINAL) < args.posts:
        time.sleep(0.05)
        if second.poll() is not None:
            return f"the new daemon stopped early: {second.stderr.read() if second.stderr else ''}"
    settled = time.monotonic() - started
    second.wait(timeout=60)
    received = Counter(p["text"] for p in httpx.get(f"{base}/_sandbox/posts").json()["posts"])
    twice = sum(1 for n in received.values() if n > 1)
    statuses = _statuses(database)
    why, taken_at = _takeover(database, f"{socket.gethostname()}:{first.pid}")
    database.dispose()
    after = f"{(taken_at - started_at).total_seconds():.1f} s" if taken_at else "never"
    return (
        f"every post settled {settled:.1f} s after the new daemon started ({in_flight} in flight "
        f"at the kill, taken over after {after}: {why}); {statuses['published']} published, "
        f"{statuses['needs_attention']} need attention, {twice} received twice"
    )


def _write_config(folder: Path, base: str, url: str) -> Path:
    os.environ["TIDINGS_BENCH_MASTODON"] = secrets.token_urlsafe(16)
    os.environ["TIDINGS_BENCH_TELEGRAM"] = f"123456789:{secrets.token_urlsafe(24)}"
    path = folder / "config.toml"
    path.write_text(
        f"""[tidings]
timezone = "UTC"
database = "{url}"
[[channels]]
id = "mastodon"
platform = "mastodon"
languages = ["en"]
base_url = "{base}"
token_env = "TIDINGS_BENCH_MASTODON"
[[channels]]
id = "telegram"
platform = "telegram"
languages = ["en"]
chat_id = "@tidings_demo"
token_env = "TIDINGS_BENCH_TELEGRAM"
base_url = "{base}"
""",
        encoding="utf-8",
    )
    return path


def _daemon(config: Path, *args: str, elsewhere: bool = False) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "tidings", "run", "--config", str(config), *args]
    if elsewhere:  # its own PID namespace: a pid here means nothing to it, as on another host
        command = ["unshare", "--pid", "--fork", "--mount-proc", *command]
    return subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


def _statuses(database: object) -> Counter[str]:
    from sqlmodel import select

    from drafts.models import Post
    from drafts.storage import Database

    assert isinstance(database, Database)
    with database.reading() as session:
        return Counter(post.status for post in session.exec(select(Post)))


def _takeover(database: object, killed: str) -> tuple[str, datetime | None]:
    """Why the killed daemon's attempts were closed, and when the first was."""
    from sqlmodel import select

    from drafts.models import Attempt
    from drafts.storage import Database

    assert isinstance(database, Database)
    with database.reading() as session:
        closed = [
            attempt
            for attempt in session.exec(select(Attempt).where(Attempt.worker == killed))
            if (attempt.error or "").startswith("taken over")
        ]
    reasons = {(a.error or "").split("(", 1)[1].split(")", 1)[0] for a in closed}
    first = min((a.finished_at for a in closed if a.finished_at), default=None)
    return ", ".join(sorted(reasons)) or "none", first


if __name__ == "__main__":
    main()
