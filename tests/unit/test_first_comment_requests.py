"""First comments on LinkedIn and Facebook (issue 11 points 2 and 4): the exact request a
comment part makes, the preview of one whose post is not published yet, and the answers and
comment listings read as outcomes (tables, no network)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from drafts.channels import FacebookChannel, LinkedInChannel
from scheduler.outcomes import Failed, Outcome, Published, RetryAt, Unknown
from scheduler.platforms import facebook_comments, linkedin_comments
from scheduler.platforms.base import PostJob
from scheduler.platforms.facebook import FacebookAdapter
from scheduler.platforms.linkedin import LinkedInAdapter
from scheduler.preview import preview
from tests.fakes import answer, first_comment

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
SENT = NOW - timedelta(minutes=5)
TOKEN = "token-0123456789"
ORG = "urn:li:organization:2414183"
SHARE = "urn:li:share:7141138937766391808"
COMMENT_URN = f"urn:li:comment:({SHARE},6636062862760562688)"
TEXT = r"Apply by Friday (KST) _now_ *fast* #tag [x] {y} <z> | ~ \ @team"
LINKEDIN = LinkedInChannel(
    id="li", platform="linkedin", languages=("en",), author=ORG, token_env="T", version="202611"
)
FACEBOOK = FacebookChannel(
    id="fb", platform="facebook", languages=("en",), page_id="100200300400500", token_env="T"
)
FB_POST = "100200300400500_1116689038356556"


def comment_on(root: str) -> PostJob:
    return first_comment(root, TEXT, sent_at=SENT)


# -- the requests -------------------------------------------------------------------------------


def test_linkedin_comment_request_field_by_field() -> None:
    request = LinkedInAdapter().build(comment_on(SHARE), LINKEDIN, TOKEN)

    assert (request.method, request.url) == (
        "POST",
        "https://api.linkedin.com/rest/socialActions/urn%3Ali%3Ashare%3A7141138937766391808"
        "/comments",
    )
    assert request.json() == {"actor": ORG, "object": SHARE, "message": {"text": TEXT}}
    assert request.headers["LinkedIn-Version"] == "202611"
    assert request.headers["X-Restli-Protocol-Version"] == "2.0.0"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert LinkedInAdapter().displayed_text(request) == TEXT


def test_facebook_comment_request_field_by_field() -> None:
    request = FacebookAdapter().build(comment_on(FB_POST), FACEBOOK, TOKEN)

    assert (request.method, request.url) == (
        "POST",
        f"https://graph.facebook.com/{FACEBOOK.graph_version}/{FB_POST}/comments",
    )
    assert request.json() == {"message": TEXT, "access_token": TOKEN}
    assert FacebookAdapter().displayed_text(request) == TEXT


@pytest.mark.parametrize(
    ("channel", "url"),
    [
        (LINKEDIN, "https://api.linkedin.com/rest/socialActions/<the post's id>/comments"),
        (FACEBOOK, f"https://graph.facebook.com/{FACEBOOK.graph_version}/<the post's id>/comments"),
    ],
)
def test_preview_of_a_comment_before_its_post_is_published(
    channel: LinkedInChannel | FacebookChannel, url: str
) -> None:
    shown = preview(post_id=2, text=TEXT, language="en", channel=channel, part=2, parts=1)

    assert shown.displayed == TEXT  # as written: LinkedIn's comment is not little text
    assert shown.request_json()["url"] == url
    body = shown.request_json()["body"]
    assert body.get("message") == TEXT or body["message"] == {"text": TEXT}


def test_preview_of_a_comment_after_a_thread_names_the_first_part() -> None:
    shown = preview(post_id=4, text=TEXT, language="en", channel=LINKEDIN, part=4, parts=3)
    assert shown.request_json()["body"]["object"] == "<part 1's id>"
    first = preview(post_id=1, text=TEXT, language="en", channel=LINKEDIN)
    assert "commentary" in first.request_json()["body"]  # the post itself, as before


# -- LinkedIn: answers and listings ------------------------------------------------------------

CREATED = {
    "actor": ORG,
    "object": SHARE,
    "id": "6636062862760562688",
    "commentUrn": COMMENT_URN,
    "$URN": COMMENT_URN,
    "message": {"text": TEXT, "attributes": []},
    "created": {"actor": ORG, "time": int(NOW.timestamp() * 1000)},
}
COMMENT_LINK = (
    f"https://www.linkedin.com/feed/update/{SHARE}/?commentUrn="
    "urn%3Ali%3Acomment%3A%28urn%3Ali%3Ashare%3A7141138937766391808%2C6636062862760562688%29"
)


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected"),
    [
        (201, CREATED, {}, Published(COMMENT_URN, COMMENT_LINK, 201)),
        (201, {"id": CREATED["id"], "object": SHARE}, {}, Published(COMMENT_URN, COMMENT_LINK, 201)),
        (201, None, {"x-restli-id": COMMENT_URN.replace(",", "%2C")}, Published(COMMENT_URN, COMMENT_LINK, 201)),
        (201, None, {}, Unknown),
        (404, {"status": 404, "message": "Not found"}, {}, Failed),
        (403, {"status": 403, "code": "ACCESS_DENIED", "message": "no"}, {}, Failed),
        (401, {"status": 401, "message": "Invalid access token"}, {}, Failed),
        (426, {"status": 426, "code": "NONEXISTENT_VERSION", "message": "old"}, {}, Failed),
        (429, {"status": 429, "message": "Resource level throttle"}, {}, RetryAt),
        (422, {"status": 422, "message": "Length exceeds 1250 at /message/text"}, {}, Failed),
        (503, None, {}, Unknown),
    ],
)  # fmt: skip
def test_linkedin_comment_answers(
    status: int, body: object, headers: dict[str, str], expected: Outcome | type
) -> None:
    outcome = linkedin_comments.read_comment(answer(status, body, headers), LINKEDIN, SHARE, NOW)
    if isinstance(expected, type):
        assert isinstance(outcome, expected)
    else:
        assert outcome == expected


def test_linkedin_comment_refusals_say_what_to_do() -> None:
    gone = linkedin_comments.read_comment(answer(404, {"message": "x"}), LINKEDIN, SHARE, NOW)
    denied = linkedin_comments.read_comment(answer(403, {"message": "x"}), LINKEDIN, SHARE, NOW)
    assert isinstance(gone, Failed) and f"no post {SHARE}" in gone.reason
    assert isinstance(denied, Failed) and "w_organization_social" in denied.reason


def listed(*comments: dict[str, object]) -> dict[str, object]:
    return {"elements": list(comments), "paging": {"start": 0, "count": 50, "total": 9}}


def other(**changes: object) -> dict[str, object]:
    return {**CREATED, **changes}


@pytest.mark.parametrize(
    ("comments", "now", "expected"),
    [
        ([other(actor="urn:li:person:someone"), CREATED], NOW, Published(COMMENT_URN, COMMENT_LINK, 200)),
        ([other(message={"text": TEXT.replace("(", "\\(")})], NOW, None),
        ([other(created={"time": int((SENT - timedelta(minutes=3)).timestamp() * 1000)})], NOW, None),
        ([other(actor="urn:li:person:someone")], SENT + timedelta(seconds=10), RetryAt),
        ([], NOW, None),
    ],
)  # fmt: skip
def test_linkedin_reconcile_matches_actor_exact_text_and_time(
    comments: list[dict[str, object]], now: datetime, expected: Outcome | type | None
) -> None:
    outcome = linkedin_comments.read_comments(
        answer(200, listed(*comments)), LINKEDIN, comment_on(SHARE), SENT, now
    )
    if isinstance(expected, type):
        assert isinstance(outcome, expected)
    else:
        assert outcome == expected


def test_linkedin_reconcile_without_read_access_asks_a_person() -> None:
    refused = answer(403, {"status": 403, "code": "ACCESS_DENIED", "message": "Not enough"})
    outcome = linkedin_comments.read_comments(refused, LINKEDIN, comment_on(SHARE), SENT, NOW)
    assert isinstance(outcome, Unknown)
    assert "mark the comment published or retry it" in outcome.reason


# -- Facebook: answers and listings ------------------------------------------------------------

POST_LINK = "https://www.facebook.com/100200300400500/posts/1116689038356556"
FB_COMMENT = "1116689038356556_987654321"


def test_facebook_comment_answer_and_refusal() -> None:
    made = facebook_comments.read_comment(
        answer(200, {"id": FB_COMMENT}), POST_LINK, NOW, service="Facebook", reconnect="r"
    )
    gone = facebook_comments.read_comment(
        answer(400, {"error": {"message": "Unsupported post request", "code": 100}}),
        POST_LINK,
        NOW,
        service="Facebook",
        reconnect="r",
    )
    assert made == Published(FB_COMMENT, f"{POST_LINK}?comment_id=987654321", 200)
    assert isinstance(gone, Failed)


def graph_comment(message: str, at: datetime, page: str = "100200300400500") -> dict[str, object]:
    return {
        "id": FB_COMMENT,
        "message": message,
        "created_time": at.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "from": {"id": page, "name": "Page"},
    }


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([graph_comment(TEXT, NOW)], Published(FB_COMMENT, f"{POST_LINK}?comment_id=987654321", 200)),
        ([graph_comment(TEXT, NOW, page="42")], None),
        ([graph_comment(TEXT, SENT - timedelta(minutes=3))], None),
        ([graph_comment(TEXT + " ", NOW)], None),
    ],
)  # fmt: skip
def test_facebook_reconcile_matches_message_time_and_page(
    data: list[dict[str, object]], expected: Outcome | None
) -> None:
    outcome = facebook_comments.read_comments(
        answer(200, {"data": data}),
        comment_on(FB_POST),
        page_id=FACEBOOK.page_id,
        post_link=POST_LINK,
        since=SENT,
        now=NOW,
        service="Facebook",
        reconnect="r",
    )
    assert outcome == expected
