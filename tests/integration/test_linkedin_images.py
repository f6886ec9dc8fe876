"""LinkedIn images over loopback HTTP: the Images API upload, the wait for AVAILABLE,
``content.media`` and ``content.multiImage``, and the no-double-post rules with images."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from drafts.channels import LinkedInChannel
from drafts.text_rules.linkedin import escape_little
from scheduler.outcomes import Failed, Published, RetryLater, Unknown
from scheduler.platforms.base import Attempted, Credentials, JobImage, PostJob
from scheduler.platforms.linkedin import LinkedInAdapter
from scheduler.platforms.linkedin_images import ImageWait
from scheduler.platforms.uploads import media_key
from scheduler.sandbox import RunningSandbox
from scheduler.sandbox.linkedin_images import LinkedInImages
from tests.fakes import MemoryVault, OverLoopback, Saved
from tests.integration.photos import phone_photo, spooled
from tests.integration.sandbox_fixtures import ORG, linkedin_body, linkedin_headers

TEXT = "The riverside boardwalk (phase 2) opens on Saturday #seoul"
INITIALIZE = "/rest/images"
UPLOADS = "/dms-uploads/"


class Channel:
    """A LinkedIn page on the sandbox; ``state`` is the post's publish state as the daemon
    keeps it across attempts."""

    def __init__(self, sandbox: RunningSandbox, checks: int = 5) -> None:
        self.sandbox = sandbox
        channel = LinkedInChannel(
            id="li",
            platform="linkedin",
            languages=("en", "ko"),
            author=ORG,
            token_env="T",
            version=f"{sandbox.state.now():%Y%m}",
            base_url=sandbox.base_url,
        )
        # No pause between looks: the sandbox counts looks, not seconds.
        adapter = LinkedInAdapter(ImageWait(checks=checks, interval_seconds=0))
        self.on = OverLoopback(adapter, channel, Credentials("li-token", MemoryVault()))
        self.state: dict[str, str] = {}
        self.first_attempt_at = datetime.now(UTC) - timedelta(seconds=1)

    def job(self, images: tuple[JobImage, ...], last_sent_at: datetime | None = None) -> PostJob:
        return PostJob(
            1,
            TEXT,
            "en",
            "k",
            dict(self.state),
            first_attempt_at=self.first_attempt_at,
            last_sent_at=last_sent_at,
            images=images,
        )

    def publish(
        self, images: tuple[JobImage, ...], saved: Saved | None = None, timeout: float = 5.0
    ) -> Attempted:
        saved = saved or Saved()
        attempted = self.on.publish(self.job(images), saved, timeout=timeout)
        self.state.update(saved.state)
        self.state.update(attempted.state)
        return attempted

    def processing_takes(self, looks: int) -> None:
        self.sandbox.state.store(LinkedInImages).processing_checks = looks

    def requests(self, path: str, method: str) -> list[int | None]:
        return [r.status for r in self.sandbox.state.requests("linkedin", path=path, method=method)]


@pytest.fixture
def page(sandbox: RunningSandbox) -> Channel:
    return Channel(sandbox)


@pytest.fixture
def photos(tmp_path: Path) -> tuple[JobImage, JobImage]:
    """Two phone photos with GPS EXIF; alt text with little text's reserved characters."""
    return (
        spooled(tmp_path, phone_photo(640, 480), "Kids (6–9) racing on the #boardwalk", "a.jpg"),
        spooled(
            tmp_path, phone_photo(800, 600, rotated=False), "새 부두의 해 질 녘 [2단계]", "b.jpg"
        ),
    )


def shown(images: tuple[JobImage, ...]) -> list[dict[str, object]]:
    return [
        {
            "sha256": image.sha256,
            "alt": image.alt,
            "width": image.width,
            "height": image.height,
            "content_type": "image/jpeg",
        }
        for image in images
    ]


def test_one_image_goes_as_content_media_once_linkedin_has_processed_it(
    page: Channel, photos: tuple[JobImage, JobImage]
) -> None:
    page.processing_takes(2)

    def nothing_posted_yet(state: Mapping[str, str]) -> None:
        assert page.sandbox.state.posts("linkedin") == []

    attempted = page.publish(photos[:1], Saved(on_save=nothing_posted_yet))

    assert isinstance(attempted.outcome, Published)
    [post] = page.sandbox.state.posts("linkedin")
    urn = page.state[media_key(photos[0])]
    # The alt text is plain text, sent as written; the commentary is little text.
    assert post.body["content"] == {"media": {"id": urn, "altText": photos[0].alt}}
    assert post.body["commentary"] == escape_little(TEXT)
    assert post.details["images"] == shown(photos[:1])
    assert page.requests("/rest/images/", "GET") == [200, 200, 200]  # PROCESSING twice
    [received] = page.sandbox.state.images("linkedin")
    assert received.metadata == ()  # no EXIF, no GPS
    assert (received.width, received.height) == (480, 640)


def test_two_images_go_as_multi_image_in_their_order(
    page: Channel, photos: tuple[JobImage, JobImage]
) -> None:
    attempted = page.publish(photos)

    assert isinstance(attempted.outcome, Published)
    [post] = page.sandbox.state.posts("linkedin")
    urns = [page.state[media_key(image)] for image in photos]
    assert post.body["content"] == {
        "multiImage": {
            "images": [
                {"id": urn, "altText": image.alt} for urn, image in zip(urns, photos, strict=True)
            ]
        }
    }
    assert post.details["images"] == shown(photos)
    assert all(image.metadata == () for image in page.sandbox.state.images("linkedin"))


def test_an_image_still_processing_waits_for_the_next_attempt_keeping_its_urn(
    sandbox: RunningSandbox, photos: tuple[JobImage, JobImage]
) -> None:
    page = Channel(sandbox, checks=2)
    page.processing_takes(3)

    first = page.publish(photos[:1])

    assert isinstance(first.outcome, RetryLater)
    assert first.outcome.reason.startswith("image 1: LinkedIn is still processing urn:li:image:")
    assert sandbox.state.posts("linkedin") == []

    second = page.publish(photos[:1])

    assert isinstance(second.outcome, Published)
    assert page.requests(INITIALIZE, "POST") == [200]  # uploaded once
    assert page.requests("/rest/images/", "GET") == [200, 200, 200, 200]


def test_a_failed_upload_is_retried_reusing_the_image_already_uploaded(
    page: Channel, photos: tuple[JobImage, JobImage]
) -> None:
    faults = page.sandbox.state.faults

    def break_the_next_upload(state: Mapping[str, str]) -> None:
        if media_key(photos[0]) in state:
            faults.add("status", "linkedin", path=UPLOADS, status=503)

    first = page.publish(photos, Saved(on_save=break_the_next_upload))

    assert isinstance(first.outcome, RetryLater)
    assert first.outcome.reason.startswith("image 2: LinkedIn did not take it (503")
    assert page.sandbox.state.posts("linkedin") == []

    second = page.publish(photos)

    assert isinstance(second.outcome, Published)
    assert page.requests(INITIALIZE, "POST") == [200, 200, 200]  # image 1 was not sent again
    assert page.requests(UPLOADS, "PUT") == [201, 503, 201]
    [post] = page.sandbox.state.posts("linkedin")
    assert post.details["images"] == shown(photos)


def test_an_upload_linkedin_refuses_fails_naming_the_image(
    page: Channel, photos: tuple[JobImage, JobImage]
) -> None:
    page.sandbox.state.faults.add("status", "linkedin", path=INITIALIZE, status=403)

    attempted = page.publish(photos)

    assert isinstance(attempted.outcome, Failed)
    assert attempted.outcome.reason.startswith("image 1: LinkedIn refused to register it (403")
    assert "li-token" not in attempted.outcome.reason
    assert page.sandbox.state.posts("linkedin") == []


@pytest.mark.parametrize("minutes_since", [0, 10], ids=["duplicate check", "author listing"])
def test_a_read_timeout_after_the_post_with_images_was_created_posts_nothing_twice(
    page: Channel, photos: tuple[JobImage, JobImage], minutes_since: int
) -> None:
    page.sandbox.state.faults.add("slow_after_accept", "linkedin", path="/rest/posts", seconds=3)
    sent_at = datetime.now(UTC)

    lost = page.publish(photos, timeout=0.5)

    assert isinstance(lost.outcome, Unknown)
    page.first_attempt_at = sent_at - timedelta(minutes=minutes_since)
    known = page.on.reconcile(page.job(photos, sent_at - timedelta(minutes=minutes_since)))

    [post] = page.sandbox.state.posts("linkedin")
    assert isinstance(known, Published)
    assert known.remote_id == post.remote_id
    assert post.details["images"] == shown(photos)
    assert page.requests(INITIALIZE, "POST") == [200, 200]  # reconciling uploads nothing


def test_the_sandbox_takes_the_images_api_as_documented(sandbox: RunningSandbox) -> None:
    sandbox.state.store(LinkedInImages).processing_checks = 1
    headers = linkedin_headers(f"{sandbox.state.now():%Y%m}")
    with httpx.Client(base_url=sandbox.base_url, timeout=5.0) as client:
        registered = client.post(
            "/rest/images?action=initializeUpload",
            json={"initializeUploadRequest": {"owner": ORG}},
            headers=headers,
        ).json()["value"]
        urn = registered["image"]
        waiting = client.get(f"/rest/images/{urn}", headers=headers).json()["status"]
        put = client.put(
            registered["uploadUrl"],
            content=phone_photo(),
            headers={"Authorization": headers["Authorization"], "Content-Type": "image/jpeg"},
        )
        body = {**linkedin_body("Boardwalk"), "content": {"media": {"id": urn, "altText": "x"}}}
        too_soon = client.post("/rest/posts", json=body, headers=headers)
        statuses = [client.get(f"/rest/images/{urn}", headers=headers).json()["status"]]
        statuses.append(client.get(f"/rest/images/{urn}", headers=headers).json()["status"])
        posted = client.post("/rest/posts", json=body, headers=headers)
        lonely = {**linkedin_body("One"), "content": {"multiImage": {"images": [{"id": urn}]}}}
        one_of_many = client.post("/rest/posts", json=lonely, headers=headers)

    assert registered["uploadUrl"].startswith(sandbox.base_url + "/dms-uploads/")
    assert urn.startswith("urn:li:image:")
    assert waiting == "WAITING_UPLOAD"
    assert put.status_code == 201
    assert too_soon.status_code == 422
    assert "not AVAILABLE (PROCESSING)" in too_soon.json()["message"]
    assert statuses == ["PROCESSING", "AVAILABLE"]
    assert posted.status_code == 201
    assert one_of_many.status_code == 422
    [post] = sandbox.state.posts("linkedin")
    assert post.details["images"][0]["alt"] == "x"
