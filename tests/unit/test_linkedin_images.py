"""LinkedIn images: the post's content as previewed and as sent, where the bearer token may
go, and what the Images API's answers come to (a scripted platform, no network)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from drafts.channels import LinkedInChannel
from scheduler.outcomes import Failed, Published, RetryAt, RetryLater
from scheduler.platforms.base import Credentials, JobImage, PostJob
from scheduler.platforms.linkedin import LinkedInAdapter
from scheduler.platforms.linkedin_images import ImageWait, read_status, takes_token
from scheduler.platforms.uploads import remember_upload
from scheduler.preview import preview
from tests.fakes import MemoryVault, Scripted, ScriptedPlatform, answer, reply

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
TOKEN = "token-0123456789"
LINKEDIN = LinkedInChannel(
    id="li",
    platform="linkedin",
    languages=("en", "ko"),
    author="urn:li:organization:2414183",
    token_env="T",
    version="202601",
)
TEXT = "Boardwalk (phase 2) is open #seoul"
ALT = "Kids (6–9) racing on the #boardwalk"  # plain text: sent as written, never escaped
FIRST = JobImage("a" * 64, "image/jpeg", 480, 640, 51_200, ALT)
SECOND = JobImage("b" * 64, "image/png", 1600, 900, 402_000, "")
URN = "urn:li:image:D4E10AQ1"
POST_URN = "urn:li:share:7141138937766391808"


def content(job: PostJob) -> object:
    return LinkedInAdapter().build(job, LINKEDIN, TOKEN).json()["content"]


def test_a_preview_shows_where_each_image_urn_will_go() -> None:
    one = preview(post_id=1, text=TEXT, language="en", channel=LINKEDIN, images=(FIRST,))
    two = preview(post_id=1, text=TEXT, language="en", channel=LINKEDIN, images=(FIRST, SECOND))

    assert one.request.json()["content"] == {"media": {"id": "<image 1>", "altText": ALT}}
    assert two.request.json()["content"] == {
        "multiImage": {"images": [{"id": "<image 1>", "altText": ALT}, {"id": "<image 2>"}]}
    }
    assert one.displayed == two.displayed == TEXT


def test_the_post_names_the_urns_kept_in_the_publish_state() -> None:
    state = remember_upload(FIRST, URN, None)

    assert content(PostJob(1, TEXT, "en", "k", state, images=(FIRST,))) == {
        "media": {"id": URN, "altText": ALT}
    }
    no_images = LinkedInAdapter().build(PostJob(1, TEXT, "en", "k"), LINKEDIN, TOKEN)
    assert "content" not in no_images.json()


@pytest.mark.parametrize(
    ("url", "gets_token"),
    [
        ("https://www.linkedin.com/dms-uploads/sp/D4E10AQ1/uploaded-image/0?ca=x", True),
        ("https://api.linkedin.com/mediaUpload/D4E10AQ1", True),
        ("http://www.linkedin.com/dms-uploads/x", False),  # not over HTTPS
        ("https://uploads.example.net/linkedin.com/x", False),
        ("https://evil-linkedin.com/x", False),
        ("https://linkedin.com.example.net/x", False),
    ],
)
def test_the_token_goes_only_to_linkedin_over_https(url: str, gets_token: bool) -> None:
    assert takes_token(url, LINKEDIN) is gets_token


def test_the_token_goes_to_the_channels_own_origin() -> None:
    staging = LINKEDIN.model_copy(update={"base_url": "http://127.0.0.1:9100"})

    assert takes_token("http://127.0.0.1:9100/dms-uploads/x", staging)
    assert not takes_token("http://127.0.0.1:9101/dms-uploads/x", staging)


@pytest.mark.parametrize(
    ("upload_url", "authorized"),
    [("https://www.linkedin.com/dms-uploads/x", True), ("https://cdn.example.net/up/x", False)],
)
def test_the_upload_goes_where_linkedin_said_with_the_token_only_for_linkedin(
    tmp_path: Path, upload_url: str, authorized: bool
) -> None:
    spool = tmp_path / "image"
    spool.write_bytes(b"\xff\xd8 not really a jpeg")
    image = replace(FIRST, path=spool, bytes=spool.stat().st_size)
    platform = ScriptedPlatform(
        {
            ("POST", "/rest/images"): [
                reply(200, {"value": {"uploadUrl": upload_url, "image": URN}})
            ],
            ("PUT", httpx.URL(upload_url).path): [reply(201)],
            ("GET", f"/rest/images/{URN}"): [reply(200, {"id": URN, "status": "AVAILABLE"})],
            ("POST", "/rest/posts"): [reply(201, headers={"x-restli-id": POST_URN})],
        }
    )
    on = Scripted(
        LinkedInAdapter(ImageWait(checks=1)), LINKEDIN, Credentials(TOKEN, MemoryVault()), NOW
    )

    attempted, saves = on.publish(PostJob(1, TEXT, "en", "k", images=(image,)), platform)

    assert isinstance(attempted.outcome, Published)
    [put] = platform.sent("PUT", httpx.URL(upload_url).path)
    assert str(put.url) == upload_url
    assert ("authorization" in put.headers) is authorized
    assert put.headers["content-type"] == "image/jpeg"
    assert put.content == spool.read_bytes()
    # The URN was kept after the bytes arrived and before the post went out (4 requests).
    assert saves == [(remember_upload(image, URN, None), 2)]


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, {"status": "AVAILABLE"}, "AVAILABLE"),
        (200, {"status": "PROCESSING"}, "PROCESSING"),
        (200, {"status": "WAITING_UPLOAD"}, "GONE"),
        (404, {"status": 404, "message": "Not found"}, "GONE"),
        (200, {"status": "PROCESSING_FAILED"}, Failed),
        (403, {"status": 403, "code": "ACCESS_DENIED", "message": "no"}, Failed),
        (429, {"status": 429, "message": "APPLICATION DAY limit"}, RetryAt),
        (503, None, RetryLater),
        (200, {"surprise": True}, RetryLater),
    ],
)
def test_an_image_status_answer(status: int, body: object, expected: object) -> None:
    read = read_status(answer(status, body), 2, LINKEDIN, NOW)

    if isinstance(expected, str):
        assert read == expected
    else:
        assert isinstance(expected, type) and isinstance(read, expected)
        assert isinstance(read, Failed | RetryAt | RetryLater)
        assert read.reason.startswith("image 2:")
