"""Images benchmark: the daemon's peak memory while posts with large images publish (issue 10).

    python bench/images.py                          # 50 posts × 4 images × 5 MB, concurrency 16
    python bench/images.py --backend both --posts 20 --megabytes 2

Each post carries its own images (nothing shared between posts: the harsh case), all due at
once on one Mastodon channel of the sandbox, which takes every byte through ``/api/v2/media``
(the images are under its limits, so the originals go out unchanged) and answers after
``--latency-ms`` so requests overlap. The daemon copies each image once to its spool and
streams uploads from there (``scheduler.media_spool``, ``scheduler.platforms.uploads``), so
its memory should not grow with the images in flight: 16 posts × 4 images × 5 MB would be
320 MB if each request held its image.

The sandbox runs in a process of its own (``tidings sandbox``). The drafts are made in a
setup process, through the same calls as the command line (read_draft_file, read_media,
add_draft, submit, approve, schedule); the daemon then runs in a fresh process, until every
post is final, so that its peak memory (``ru_maxrss``) is its own. It prints the daemon's
resident memory before publishing and its peak, the bytes the sandbox received, posts per
second and how long the setup took. Nothing here is asserted: it prints figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dispatch import _database, _free_port, _move_due, _wait_for  # noqa: E402

CHANNEL = "m0"
TOKEN_ENV = "TIDINGS_BENCH_TOKEN"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=50)
    parser.add_argument("--images-per-post", type=int, default=4, choices=range(1, 5))
    parser.add_argument("--megabytes", type=float, default=5.0, help="size of each image")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--side", choices=["setup", "daemon"], help=argparse.SUPPRESS)
    parser.add_argument("--sandbox", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        print(json.dumps(SIDES[args.side](args)))
        return
    orchestrate(args)


# --- the parent: sandbox, databases, the two sides, the report --------------------------------


def orchestrate(args: argparse.Namespace) -> None:
    port = _free_port()
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "tidings", "sandbox", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base)
        settings = {"default_latency_ms": args.latency_ms, "mastodon_media_processing": 0}
        httpx.patch(f"{base}/_sandbox/settings", json=settings).raise_for_status()
        images = args.posts * args.images_per_post
        print(
            f"{args.posts} posts × {args.images_per_post} distinct images of "
            f"{args.megabytes:g} MB ({images} images, {images * args.megabytes:,.0f} MB in all), "
            f"concurrency {args.concurrency}, latency {args.latency_ms:g} ms, sandbox at {base}"
        )
        backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
        for backend in backends:
            httpx.post(f"{base}/_sandbox/reset").raise_for_status()
            with _database(backend) as url:
                setup = _side("setup", args, base, url)
                sandbox_cpu = _cpu_seconds(sandbox.pid)
                daemon = _side("daemon", args, base, url)
                daemon["sandbox_cpu_s"] = _cpu_seconds(sandbox.pid) - sandbox_cpu
            _report(backend, setup, daemon, _received(base))
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)


def _side(side: str, args: argparse.Namespace, base: str, database: str) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        *("--side", side, "--sandbox", base, "--database", database),
        *("--posts", str(args.posts), "--images-per-post", str(args.images_per_post)),
        *("--megabytes", str(args.megabytes), "--concurrency", str(args.concurrency)),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{side} side failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _cpu_seconds(pid: int) -> float:
    """The processor time process ``pid`` has used (Linux's /proc/<pid>/stat), in seconds:
    where the time of a run goes, the daemon's or the sandbox's."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _received(base: str) -> dict[str, int]:
    """What the sandbox took: upload requests, the images attached to posts and their bytes."""
    uploads = httpx.get(
        f"{base}/_sandbox/requests", params={"platform": "mastodon", "path": "/api/v2/media"}
    ).json()["requests"]
    sizes = {
        image["sha256"]: image["bytes"]
        for image in httpx.get(f"{base}/_sandbox/images", timeout=60).json()["images"]
    }
    posts = httpx.get(f"{base}/_sandbox/posts", timeout=60).json()["posts"]
    attached = [image["sha256"] for post in posts for image in post["details"].get("images", [])]
    return {
        "uploads": sum(1 for request in uploads if request["method"] == "POST"),
        "posts": len(posts),
        "attached": len(attached),
        "attached_bytes": sum(sizes.get(sha, 0) for sha in attached),
        "distinct_bytes": sum(sizes.values()),
    }


def _report(
    backend: str, setup: dict[str, Any], daemon: dict[str, Any], received: dict[str, int]
) -> None:
    statuses = ", ".join(
        f"{count} {status}" for status, count in sorted(daemon["statuses"].items())
    )
    print(
        f"{backend}: setup {setup['setup_s']:.0f} s ({setup['images']} images stored, "
        f"{setup['stored_bytes'] / 1e6:,.0f} MB)\n"
        f"  daemon memory: {daemon['baseline_rss_mib']:.0f} MiB before publishing, "
        f"peak {daemon['peak_rss_mib']:.0f} MiB "
        f"(+{daemon['peak_rss_mib'] - daemon['baseline_rss_mib']:.0f} MiB while publishing)\n"
        f"  published: {statuses} in {daemon['elapsed_s']:.1f} s, "
        f"{daemon['posts_per_s']:.1f} posts/s (processor time: the daemon "
        f"{daemon['cpu_s']:.0f} s, the sandbox {daemon['sandbox_cpu_s']:.0f} s)\n"
        f"  the sandbox received: {received['uploads']} uploads, {received['posts']} posts "
        f"attaching {received['attached']} images of {received['attached_bytes'] / 1e6:,.0f} MB "
        f"({received['distinct_bytes'] / 1e6:,.0f} MB distinct)"
    )


# --- the children -----------------------------------------------------------------------------


def setup_side(args: argparse.Namespace) -> dict[str, Any]:
    """Approved posts with distinct noise images, stored through the real path, due now."""
    from drafts.storage import Database

    config = _config(args)
    database = Database(args.database)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tidings-bench-images-") as folder:
        stored = _queue(database, config, args, Path(folder))
    _move_due(database, datetime.now(UTC))
    database.dispose()
    images = args.posts * args.images_per_post
    return {"setup_s": time.perf_counter() - started, "images": images, "stored_bytes": stored}


def daemon_side(args: argparse.Namespace) -> dict[str, Any]:
    """The daemon, from before the first post is claimed until every post is final."""
    from drafts.storage import Database
    from scheduler.daemon import Daemon, DaemonSettings

    config = _config(args)
    database = Database(args.database)
    settings = DaemonSettings(concurrency=args.concurrency, request_timeout=60.0)
    daemon = Daemon(config, database, settings=settings)
    baseline, cpu = _resident_mib(), _cpu_seconds(os.getpid())
    started = time.perf_counter()
    statuses = asyncio.run(_run_until_final(daemon, database, args.posts))
    elapsed = time.perf_counter() - started
    return {
        "baseline_rss_mib": baseline,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "elapsed_s": elapsed,
        "posts_per_s": args.posts / elapsed,
        "cpu_s": _cpu_seconds(os.getpid()) - cpu,
        "statuses": statuses,
    }


async def _run_until_final(daemon: Any, database: Any, count: int) -> dict[str, int]:
    """Run ``daemon`` until ``count`` posts are final; how many ended in each status."""
    from sqlmodel import select

    from drafts.lifecycle import FINAL_POST_STATUSES
    from drafts.models import Post

    def statuses() -> Counter[str]:
        with database.reading() as session:
            return Counter(str(status) for status in session.exec(select(Post.status)))

    final = {str(status) for status in FINAL_POST_STATUSES}
    task = asyncio.create_task(daemon.run())
    found: Counter[str] = Counter()
    while not task.done():
        await asyncio.sleep(0.1)
        found = await asyncio.to_thread(statuses)
        if sum(n for status, n in found.items() if status in final) >= count:
            break
    daemon.stop()
    await task
    return dict(found)


def _resident_mib() -> float:
    """The process's resident memory now (Linux's VmRSS), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmRSS in /proc/self/status (this benchmark reads Linux's)")


def _config(args: argparse.Namespace) -> Any:
    from drafts.config import parse_config

    os.environ[TOKEN_ENV] = "bench-token-for-the-sandbox"
    channel = f"""
[[channels]]
id = "{CHANNEL}"
platform = "mastodon"
languages = ["en"]
base_url = "{args.sandbox}"
token_env = "{TOKEN_ENV}"
max_in_flight = {args.concurrency}
"""
    return parse_config(f'[tidings]\ntimezone = "UTC"\n{channel}', Path("bench.toml"))


def _queue(database: Any, config: Any, args: argparse.Namespace, folder: Path) -> int:
    """Store ``args.posts`` approved, scheduled drafts with their images, each draft in a
    transaction of its own (so no more than one draft's images are in memory); the bytes of
    the images stored."""
    from drafts.authoring import add_draft
    from drafts.draft_file import read_draft_file
    from drafts.media_files import read_media
    from drafts.queueing import ScheduleRequest, schedule_draft
    from drafts.rendering import TemplateLibrary
    from drafts.review import approve, submit
    from drafts.users import Role, add_user

    library = TemplateLibrary.default()
    with database.writing() as session:
        author = add_user(
            session, name="bench-author", role=Role.AUTHOR, password_hash=None, actor=None
        )
        reviewer = add_user(
            session, name="bench-reviewer", role=Role.REVIEWER, password_hash=None, actor=None
        )
    due = datetime.now(UTC) + timedelta(hours=1)  # moved to now once every draft is in
    stored = 0
    for number in range(args.posts):
        name = f"post{number}.toml"
        source = _draft_source(number, _write_images(folder, number, args))
        content = read_draft_file(source, name, config, datetime.now(UTC))
        content, images = read_media(content, folder, name)
        stored += sum(image.stored.bytes for image in images)
        now = datetime.now(UTC)
        with database.writing() as session:
            draft = add_draft(
                session,
                content=content,
                author=author,
                config=config,
                library=library,
                images=images,
            )
            assert draft.id is not None
            submit(session, draft_id=draft.id, actor=author, config=config)
            approve(
                session, draft_id=draft.id, reviewer=reviewer, comment="", config=config, now=now
            )
            schedule_draft(
                session,
                draft_id=draft.id,
                request=ScheduleRequest(at=due),
                actor=author,
                config=config,
                now=now,
            )
        for image in folder.iterdir():
            image.unlink()
    return stored


def _write_images(folder: Path, number: int, args: argparse.Namespace) -> list[str]:
    """Post ``number``'s images: noise, so no two are alike and none compresses.

    Palette PNGs (one byte a pixel) written without compression, because that is fast to
    make; the media store decodes and re-encodes every image anyway, and noise stays about
    ``--megabytes`` whatever the encoder does. Square, and far under Mastodon's 16,777,216
    pixels at 5 MB (2,236 × 2,236)."""
    from PIL import Image

    side = math.isqrt(int(args.megabytes * 1_000_000))
    palette = bytes(range(256)) * 3
    names = []
    for position in range(args.images_per_post):
        image = Image.frombytes("P", (side, side), os.urandom(side * side))
        image.putpalette(palette)
        name = f"p{number}-{position}.png"
        image.save(folder / name, "PNG", compress_level=0)
        names.append(name)
    return names


def _draft_source(number: int, images: list[str]) -> str:
    media = "".join(
        f'[[media]]\nfile = "{name}"\nalt = "Static from a detuned television, frame {i + 1}"\n'
        for i, name in enumerate(images)
    )
    text = f"Bench post {number}: a test pattern from the night shift"
    return (
        f'kind = "post"\ntitle = "i{number}"\nchannels = ["{CHANNEL}"]\n'
        f'[text]\nen = "{text}"\n{media}'
    )


SIDES = {"setup": setup_side, "daemon": daemon_side}

if __name__ == "__main__":
    main()
