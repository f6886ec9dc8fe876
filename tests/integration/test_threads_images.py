"""Threads posts with images against the sandbox over loopback HTTP: Meta (the sandbox) fetches
each image from its link, here a small loopback server standing in for ``tidings web``; one
image is an IMAGE container, several are item containers in a CAROUSEL; alt text and clean
bytes arrive, the wait for a container works, a link that cannot be fetched fails clearly, a
failed item is retried without making again what was made, and a lost answer to the publish
request is settled by the container's status, never by publishing again."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from drafts.channels import ThreadsChannel
from scheduler.outcomes import Failed, Published, RetryLater, Unknown
from scheduler.platforms import threads
from scheduler.platforms.base import Credentials, JobImage, PostJob
from scheduler.platforms.threads import ThreadsAdapter
from scheduler.platforms.uploads import media_key
from scheduler.sandbox import RunningSandbox
from tests.fakes import MemoryVault, OverLoopback, Saved, just_tried
from tests.integration.photos import phone_photo, spooled

TEXT = "Riverside boardwalk: opening day photos 📸"
ALTS = (
    "Children running along the new wooden boardwalk at dusk",
    "강변 산책로 입구의 안내판",
    "An aerial view of the river bend with the boardwalk",
)
# Short waits between container status reads: the sandbox counts reads, not seconds.
WAITS = (0.01, 0.01, 0.01)
# A request this much slower than the client's patience is an unknown outcome.
PATIENCE, SLOW = 1.0, 10.0


@dataclass
class ImageHost:
    """A loopback web server that serves files by path, as ``tidings web`` serves signed
    media links; ``fetched`` lists the paths asked for."""

    base_url: str = ""
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    fetched: list[str] = field(default_factory=list)

    def link(self, image: JobImage, served: bytes | None = None) -> JobImage:
        """``image`` with a link to it here (serving ``served`` instead, if given)."""
        path = f"/media/{image.sha256}.jpg"
        data = image.local_path().read_bytes() if served is None else served
        self.files[path] = (data, image.content_type)
        return replace(image, url=self.base_url + path)


@pytest.fixture
def image_host() -> Iterator[ImageHost]:
    host = ImageHost()

    class Serve(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            host.fetched.append(self.path)
            found = host.files.get(self.path)
            if found is None:
                self.send_error(404)
                return
            data, content_type = found
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Serve)
    host.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield host
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def on_threads(sandbox: RunningSandbox) -> OverLoopback[ThreadsChannel]:
    channel = ThreadsChannel(
        id="th",
        platform="threads",
        languages=("en", "ko"),
        user_id=sandbox.state.settings.threads_user_id,
        token_env="T",
        base_url=sandbox.base_url,
    )
    adapter = ThreadsAdapter(container_waits=WAITS)
    return OverLoopback(adapter, channel, Credentials("th-token", MemoryVault()))


def photos(folder: Path, host: ImageHost, count: int) -> tuple[JobImage, ...]:
    """``count`` phone photos (GPS in their EXIF), cleaned, spooled and served by ``host``."""
    return tuple(
        host.link(spooled(folder, phone_photo(320 + 40 * n, 240), ALTS[n], f"photo{n}.jpg"))
        for n in range(count)
    )


def post_with(images: tuple[JobImage, ...], state: Mapping[str, str] | None = None) -> PostJob:
    return replace(just_tried(TEXT, state=state), images=images)


def arrived(sandbox: RunningSandbox, images: tuple[JobImage, ...]) -> None:
    """The one post shows ``images`` in order, each with its alt text, and the bytes Meta
    fetched carry no metadata."""
    [post] = sandbox.state.posts("threads")
    assert post.text == TEXT
    assert [each["sha256"] for each in post.details["images"]] == [i.sha256 for i in images]
    assert [each["alt"] for each in post.details["images"]] == [i.alt for i in images]
    assert [(e["width"], e["height"]) for e in post.details["images"]] == [
        (i.width, i.height) for i in images
    ]
    for image in images:
        received = sandbox.state.image(image.sha256)
        assert received is not None and received.format == "JPEG"
        assert received.metadata == ()
    assert all(r.query.get("access_token") is None for r in sandbox.state.requests("threads"))


def created(sandbox: RunningSandbox) -> list[int | None]:
    """The status of each container request (``POST /{user}/threads``), in order."""
    return [
        r.status
        for r in sandbox.state.requests("threads", method="POST")
        if r.path.endswith("/threads")
    ]


def test_one_image_is_an_image_container_meta_fetches(
    sandbox: RunningSandbox, image_host: ImageHost, tmp_path: Path
) -> None:
    images = photos(tmp_path, image_host, 1)
    sandbox.state.settings.threads_container_polls = 2
    saved = Saved()

    attempted = on_threads(sandbox).publish(post_with(images), saved)

    [post] = sandbox.state.posts("threads")
    assert attempted.outcome == Published(post.remote_id, post.remote_url, 200)
    arrived(sandbox, images)
    assert post.body["media_type"] == "IMAGE" and post.body["image_url"] == images[0].url
    assert post.details["container_id"] == saved.state[threads.CONTAINER]
    assert image_host.fetched == [f"/media/{images[0].sha256}.jpg"]
    assert created(sandbox) == [200]


def test_several_images_are_a_carousel_of_item_containers(
    sandbox: RunningSandbox, image_host: ImageHost, tmp_path: Path
) -> None:
    images = photos(tmp_path, image_host, 3)
    sandbox.state.settings.threads_container_polls = 1

    def nothing_published_yet(state: Mapping[str, str]) -> None:
        assert sandbox.state.requests("threads", path="threads_publish") == []

    saved = Saved(nothing_published_yet)
    attempted = on_threads(sandbox).publish(post_with(images), saved)

    [post] = sandbox.state.posts("threads")
    assert attempted.outcome == Published(post.remote_id, post.remote_url, 200)
    arrived(sandbox, images)
    items = [saved.state[media_key(image)] for image in images]
    assert post.body["media_type"] == "CAROUSEL"
    assert post.body["children"] == ",".join(items)
    assert created(sandbox) == [200, 200, 200, 200]  # three items, then the carousel
    assert len(image_host.fetched) == 3


def test_a_container_still_in_progress_is_kept_and_published_by_the_next_attempt(
    sandbox: RunningSandbox, image_host: ImageHost, tmp_path: Path
) -> None:
    images = photos(tmp_path, image_host, 1)
    sandbox.state.settings.threads_container_polls = len(WAITS) + 1
    on = on_threads(sandbox)
    saved = Saved()

    first = on.publish(post_with(images), saved)

    assert isinstance(first.outcome, RetryLater)
    assert "still preparing image 1" in first.outcome.reason
    assert sandbox.state.posts("threads") == []
    second = on.publish(post_with(images, state=saved.state))
    [post] = sandbox.state.posts("threads")
    assert second.outcome == Published(post.remote_id, post.remote_url, 200)
    assert post.details["container_id"] == saved.state[threads.CONTAINER]
    assert created(sandbox) == [200]  # the same container, fetched once
    assert len(image_host.fetched) == 1


@pytest.mark.parametrize("count", [1, 2])
@pytest.mark.parametrize("served", [None, b"<html>a login page</html>"])
def test_an_image_meta_cannot_fetch_fails_naming_it_and_the_public_link(
    sandbox: RunningSandbox,
    image_host: ImageHost,
    tmp_path: Path,
    count: int,
    served: bytes | None,
) -> None:
    images = photos(tmp_path, image_host, count)
    last = images[-1]
    if served is None:
        broken = replace(last, url=f"{image_host.base_url}/media/gone.jpg")  # a 404
    else:
        broken = image_host.link(last, served=served)
    images = (*images[:-1], broken)

    attempted = on_threads(sandbox).publish(post_with(images))

    assert isinstance(attempted.outcome, Failed)
    assert f"could not prepare image {count}" in attempted.outcome.reason
    assert "UNKNOWN" in attempted.outcome.reason  # what Meta says, with what it means
    assert "[media] public_url" in attempted.outcome.reason
    assert "th-token" not in attempted.outcome.reason
    assert sandbox.state.requests("threads", path="threads_publish") == []
    assert sandbox.state.posts("threads") == []


def test_an_image_without_a_public_link_fails_before_any_request(
    sandbox: RunningSandbox, image_host: ImageHost, tmp_path: Path
) -> None:
    first, second = photos(tmp_path, image_host, 2)
    attempted = on_threads(sandbox).publish(post_with((first, replace(second, url=None))))

    assert isinstance(attempted.outcome, Failed)
    assert "image 2 has no public link" in attempted.outcome.reason
    assert "[media] public_url" in attempted.outcome.reason
    assert sandbox.state.requests("threads") == []


def test_a_failed_item_is_retried_without_making_again_what_was_made(
    sandbox: RunningSandbox, image_host: ImageHost, tmp_path: Path
) -> None:
    images = photos(tmp_path, image_host, 3)
    on = on_threads(sandbox)

    def refuse_the_next_container(state: Mapping[str, str]) -> None:
        if not sandbox.state.faults.active():
            sandbox.state.faults.add("status", "threads", path="/threads", status=503)

    first_saves = Saved(refuse_the_next_container)
    first = on.publish(post_with(images), first_saves)
    assert isinstance(first.outcome, RetryLater)
    assert "making the container for image 2" in first.outcome.reason
    kept = first_saves.state[media_key(images[0])]

    second = on.publish(post_with(images, state=first_saves.state))

    [post] = sandbox.state.posts("threads")
    assert second.outcome == Published(post.remote_id, post.remote_url, 200)
    assert post.body["children"].split(",")[0] == kept
    assert created(sandbox) == [200, 503, 200, 200, 200]  # image 1's item made once
    assert image_host.fetched.count(f"/media/{images[0].sha256}.jpg") == 1
    arrived(sandbox, images)


@pytest.mark.parametrize("count", [1, 3])
def test_a_read_timeout_after_the_post_was_published_posts_nothing_twice(
    sandbox: RunningSandbox, image_host: ImageHost, tmp_path: Path, count: int
) -> None:
    images = photos(tmp_path, image_host, count)
    on = on_threads(sandbox)
    sandbox.state.faults.add("slow_after_accept", "threads", path="threads_publish", seconds=SLOW)
    saved = Saved()
    first = on.publish(post_with(images), saved, timeout=PATIENCE)
    assert isinstance(first.outcome, Unknown)

    after = post_with(images, state=saved.state)
    known = on.reconcile(after)

    [post] = sandbox.state.posts("threads")
    assert known == Published(post.remote_id, post.remote_url, 200)
    # A retry instead of a reconcile finds the same post and makes no other container.
    assert on.publish(after).outcome == known
    assert len(sandbox.state.posts("threads")) == 1
    assert len(sandbox.state.requests("threads", path="threads_publish")) == 1
    assert created(sandbox) == [200] * (count + (count > 1))
    arrived(sandbox, images)
