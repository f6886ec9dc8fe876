"""The Bluesky adapter's pure halves: facets, TIDs, the exact createRecord request, answers."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from drafts.channels import BlueskyChannel
from scheduler.outcomes import Failed, Outcome, Published, RetryAt, RetryLater, Unknown
from scheduler.platforms.base import DEFAULT_RATE_LIMIT_WAIT, HttpResponse
from scheduler.platforms.bluesky import (
    BlueskyAdapter,
    created_at,
    public_url,
    read_created,
    read_record,
)
from scheduler.platforms.bluesky_facets import find_facets
from scheduler.platforms.bluesky_sessions import jwt_expiry
from scheduler.platforms.bluesky_xrpc import session_problem
from scheduler.platforms.tid import TidClock, is_tid, tid_from
from tests.fakes import answer, job

NOW = datetime(2026, 12, 1, 9, 0, 0, 123456, tzinfo=UTC)
CHANNEL = BlueskyChannel(
    id="bsky", platform="bluesky", languages=("en", "ko"), handle="tidings.test", password_env="PW"
)
STAGING = CHANNEL.model_copy(update={"base_url": "http://127.0.0.1:9/"})
DID = "did:plc:u5cwb2mwiv2bfq53cjufe6yn"
RKEY = "3lbxzxbmhy22c"

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # 👨‍👩‍👧: 4 + 3 + 4 + 3 + 4 = 18 bytes
FLAG = "\U0001f1f0\U0001f1f7"  # 🇰🇷: two regional indicators, 4 + 4 = 8 bytes
# 🌏 is U+1F30F: 4 bytes. Every Hangul syllable is 3 bytes.
ENGLISH = f"🌏 Join us {FAMILY} {FLAG}: https://example.org/forum. #climate #seoul2026"
KOREAN = f"🌏 서울 기후 포럼 {FAMILY} {FLAG} https://example.org/ko/forum 에서 만나요! #기후위기, #서울2026"


def link(start: int, end: int, uri: str) -> dict[str, object]:
    return {
        "index": {"byteStart": start, "byteEnd": end},
        "features": [{"$type": "app.bsky.richtext.facet#link", "uri": uri}],
    }


def tag(start: int, end: int, name: str) -> dict[str, object]:
    return {
        "index": {"byteStart": start, "byteEnd": end},
        "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": name}],
    }


# --- facets ------------------------------------------------------------------------------------

# ENGLISH, byte by byte: 🌏 0-4 | " Join us " 4-13 | family 13-31 | " " 31-32 | flag 32-40 |
# ": " 40-42 | https://example.org/forum (8 + 11 + 6 = 25) 42-67 | ". " 67-69 |
# #climate (8) 69-77 | " " 77-78 | #seoul2026 (10) 78-88.
ENGLISH_FACETS = [
    link(42, 67, "https://example.org/forum"),
    tag(69, 77, "climate"),
    tag(78, 88, "seoul2026"),
]
# KOREAN: 🌏 0-4 | " " 4-5 | 서울 5-11 | " " 11-12 | 기후 12-18 | " " 18-19 | 포럼 19-25 |
# " " 25-26 | family 26-44 | " " 44-45 | flag 45-53 | " " 53-54 |
# https://example.org/ko/forum (8 + 11 + 9 = 28) 54-82 | " " 82-83 | 에서 83-89 | " " 89-90 |
# 만나요 90-99 | "! " 99-101 | #기후위기 (1 + 12) 101-114 | ", " 114-116 | #서울2026 (1 + 6 + 4) 116-127.
KOREAN_FACETS = [
    link(54, 82, "https://example.org/ko/forum"),
    tag(101, 114, "기후위기"),
    tag(116, 127, "서울2026"),
]


@pytest.mark.parametrize(
    ("text", "expected", "spans"),
    [
        (ENGLISH, ENGLISH_FACETS, ["https://example.org/forum", "#climate", "#seoul2026"]),
        (KOREAN, KOREAN_FACETS, ["https://example.org/ko/forum", "#기후위기", "#서울2026"]),
    ],
)
def test_facets_sit_at_utf8_byte_offsets(
    text: str, expected: list[dict[str, object]], spans: list[str]
) -> None:
    facets = [facet.to_json() for facet in find_facets(text)]
    assert facets == expected
    encoded = text.encode("utf-8")
    shown = [encoded[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode() for f in facets]
    assert shown == spans
    assert len(encoded) == (88 if text is ENGLISH else 127)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#2026 is all digits", []),
        ("#1위 has a letter", ["1위"]),
        ("mid#word and #tail.", ["tail"]),
        ("keycap #️⃣ is an emoji", []),
        ("full width ＃서울 too", ["서울"]),
        ("#climate-action runs to the space", ["climate-action"]),
        ("#" + "가" * 64, ["가" * 64]),
        ("#" + "가" * 65, []),
        ("a url https://example.org/a#frag holds no tag", []),
    ],
)
def test_hashtag_rule(text: str, expected: list[str]) -> None:
    assert [f.value for f in find_facets(text) if f.kind == "tag"] == expected


def test_a_bare_domain_links_with_https_and_trailing_punctuation_stays_out() -> None:
    text = "read example.org/guide, then (https://a.example.com/x)."
    links = [
        (f.value, text.encode()[f.byte_start : f.byte_end].decode()) for f in find_facets(text)
    ]
    assert links == [
        ("https://example.org/guide", "example.org/guide"),
        ("https://a.example.com/x", "https://a.example.com/x"),
    ]


# --- TIDs --------------------------------------------------------------------------------------


def test_tid_syntax() -> None:
    # 64 bits in 13 base32-sortable digits ("2" is 0): the epoch with clock id 0 is all "2"s.
    assert tid_from(0, 0) == "2222222222222"
    # Microsecond 1 is bit 10, the third digit from the end ("3" is 1); clock id 31 is "z".
    assert tid_from(1, 31) == "222222222232z"
    assert is_tid("3lbxzxbmhy22c")
    assert not is_tid("kzzzzzzzzzzzz")  # top bit set: the first digit stops at "j"
    assert not is_tid("3lbxzxbmhy22")
    tid = TidClock(clock_id=5).next(NOW)
    assert is_tid(tid)
    micros = int(NOW.timestamp() * 1_000_000)
    assert tid == tid_from(micros, 5)


def test_tids_strictly_increase_even_when_the_clock_stands_still_or_steps_back() -> None:
    clock = TidClock()
    made = [clock.next(NOW) for _ in range(5)] + [clock.next(NOW - timedelta(seconds=3))]
    made.append(clock.next(NOW + timedelta(seconds=1)))
    assert made == sorted(made)
    assert len(set(made)) == len(made)


# --- the request -------------------------------------------------------------------------------


def test_create_record_request_field_by_field() -> None:
    request = BlueskyAdapter().build(
        job(
            KOREAN,
            language="ko-KR",
            state={"rkey": RKEY, "repo": DID, "created_at": "2026-12-01T09:00:00.123Z"},
        ),
        STAGING,
        "access-jwt",
    )
    assert (request.method, request.url) == (
        "POST",
        "http://127.0.0.1:9/xrpc/com.atproto.repo.createRecord",
    )
    assert request.headers["Authorization"] == "Bearer access-jwt"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    body = request.json()
    assert set(body) == {"repo", "collection", "rkey", "record"}
    assert body["repo"] == DID
    assert body["collection"] == "app.bsky.feed.post"
    assert body["rkey"] == RKEY
    record = body["record"]
    assert list(record) == ["$type", "text", "createdAt", "langs", "facets", "embed"]
    assert record["$type"] == "app.bsky.feed.post"
    assert record["text"] == KOREAN
    assert record["createdAt"] == "2026-12-01T09:00:00.123Z"
    assert record["langs"] == ["ko-KR"]
    assert record["facets"] == KOREAN_FACETS
    assert record["embed"] == {
        "$type": "app.bsky.embed.external",
        "external": {
            "uri": "https://example.org/ko/forum",
            "title": "example.org",
            "description": "",
        },
    }
    assert BlueskyAdapter().displayed_text(request) == KOREAN


def test_a_post_without_links_or_tags_has_neither_facets_nor_card() -> None:
    request = BlueskyAdapter().build(
        job("plain words", state={"rkey": RKEY, "repo": DID}), CHANNEL, "t"
    )
    assert request.url == "https://bsky.social/xrpc/com.atproto.repo.createRecord"
    assert set(request.json()["record"]) == {"$type", "text", "createdAt", "langs"}


def test_the_preview_build_is_pure_and_uses_placeholders() -> None:
    adapter = BlueskyAdapter()
    first = adapter.build(job(ENGLISH), CHANNEL, "<secret>")
    assert first == adapter.build(job(ENGLISH), CHANNEL, "<secret>")
    body = first.json()
    assert (body["repo"], body["rkey"]) == ("tidings.test", "2222222222222")
    assert body["record"]["createdAt"] == "1970-01-01T00:00:00.000Z"


def test_created_at_is_utc_with_milliseconds() -> None:
    seoul = NOW.astimezone(ZoneInfo("Asia/Seoul"))  # 18:00 there
    assert created_at(seoul) == "2026-12-01T09:00:00.123Z"
    with pytest.raises(ValueError, match="aware"):
        created_at(datetime(2026, 12, 1))  # noqa: DTZ001


def test_public_urls() -> None:
    assert public_url(CHANNEL, RKEY) == f"https://bsky.app/profile/tidings.test/post/{RKEY}"
    # A staging server (base_url) takes the requests; the post's page is still bsky.app's.
    assert public_url(STAGING, RKEY) == f"https://bsky.app/profile/tidings.test/post/{RKEY}"


def jwt(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256'})}.{part(claims)}.c2lnbmF0dXJl"


def test_jwt_expiry_reads_exp_without_the_signature() -> None:
    assert jwt_expiry(jwt({"exp": 1796115600})) == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert jwt_expiry(jwt({"sub": "x"})) is None
    assert jwt_expiry("not-a-jwt") is None
    assert jwt_expiry("a.!!!.c") is None


# --- answers -----------------------------------------------------------------------------------


def error(status: int, name: str, message: str) -> HttpResponse:
    return answer(status, {"error": name, "message": message})


URI = f"at://{DID}/app.bsky.feed.post/{RKEY}"


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (
            answer(200, {"uri": URI, "cid": "bafy", "validationStatus": "valid"}),
            Published(URI, f"https://bsky.app/profile/tidings.test/post/{RKEY}", 200),
        ),
        (
            answer(200, {"cid": "bafy"}),
            Unknown("Bluesky answered 200 without the post's uri", 200),
        ),
        (
            HttpResponse(
                429,
                {"RateLimit-Reset": "1796115900", "RateLimit-Remaining": "0"},
                b'{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}',
            ),
            RetryAt(
                datetime(2026, 12, 1, 9, 5, tzinfo=UTC),
                "rate limited (429 RateLimitExceeded: Rate Limit Exceeded)",
                429,
            ),
        ),
        (
            error(429, "RateLimitExceeded", "slow down"),  # no reset named: the default wait
            RetryAt(
                NOW + DEFAULT_RATE_LIMIT_WAIT,
                "rate limited (429 RateLimitExceeded: slow down)",
                429,
            ),
        ),
        (
            error(400, "InvalidRequest", "Record/text must not be longer than 300 graphemes"),
            Failed(
                "refused (400 InvalidRequest: Record/text must not be longer than 300 graphemes)",
                400,
            ),
        ),
        (
            error(401, "AuthenticationRequired", "Authentication Required"),
            Failed(
                "Bluesky refused the session (401 AuthenticationRequired: Authentication "
                "Required): check the app password in PW "
                "or channel bsky's connection on the Channels page",
                401,
            ),
        ),
        (
            error(400, "InvalidToken", "Bad token scope"),
            Failed(
                "Bluesky refused the session (400 InvalidToken: Bad token scope): check the app "
                "password in PW or channel bsky's connection on the Channels page",
                400,
            ),
        ),
        (
            error(400, "ExpiredToken", "Token has expired"),
            RetryLater(
                "the session expired again just after it was renewed "
                "(400 ExpiredToken: Token has expired)",
                400,
            ),
        ),
        (
            error(500, "InternalServerError", "Internal Server Error"),
            RetryLater("server error (500 InternalServerError: Internal Server Error)", 500),
        ),
        (
            HttpResponse(502, {}, b"Bad Gateway"),
            RetryLater("server error (502: Bad Gateway)", 502),
        ),
        (
            error(413, "PayloadTooLarge", "request entity too large"),
            Failed("refused (413 PayloadTooLarge: request entity too large)", 413),
        ),
    ],
)
def test_reading_create_record_answers(response: HttpResponse, expected: Outcome) -> None:
    assert read_created(response, STAGING, NOW) == expected


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (error(400, "ExpiredToken", "Token has expired"), "expired"),
        (error(401, "AuthenticationRequired", "Authentication Required"), "refused"),
        (error(401, "InvalidToken", "Token could not be verified"), "refused"),
        (error(400, "InvalidToken", "Bad token scope"), "refused"),
        (error(400, "InvalidRequest", "bad record"), None),
        (error(500, "InternalServerError", "oops"), None),
    ],
)
def test_which_answers_call_for_a_new_session(response: HttpResponse, expected: str | None) -> None:
    assert session_problem(response) == expected


SENT = job(ENGLISH, state={"rkey": RKEY, "repo": DID})


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (
            answer(200, {"uri": URI, "cid": "bafy", "value": {"text": ENGLISH}}),
            Published(URI, f"https://bsky.app/profile/tidings.test/post/{RKEY}", 200),
        ),
        (
            answer(200, {"uri": URI, "cid": "bafy", "value": {"text": "someone else's"}}),
            Unknown(f"another record, not this post, already holds the key {RKEY}", 200),
        ),
        (error(400, "RecordNotFound", f"Could not locate record: {URI}"), None),
        (
            error(400, "InvalidRequest", "Error: repo must be a valid did or a handle"),
            Unknown(
                "Bluesky could not say whether the post exists (400 InvalidRequest: Error: repo "
                "must be a valid did or a handle)",
                400,
            ),
        ),
        (
            error(502, "UpstreamFailure", "UpstreamFailure"),
            Unknown(
                "Bluesky could not say whether the post exists (502 UpstreamFailure: "
                "UpstreamFailure)",
                502,
            ),
        ),
    ],
)
def test_reading_get_record_answers(response: HttpResponse, expected: Outcome | None) -> None:
    assert read_record(response, SENT, CHANNEL) == expected
