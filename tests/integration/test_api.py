"""The HTTP API (``/api/v1``) over real HTTP on loopback: a draft made, reviewed, scheduled and
published through it alone; tokens refused as they should be; every list a page at a time."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from drafts.api_tokens import Scope, new_token, revoke_token
from drafts.authoring import add_draft
from drafts.config import Config
from drafts.draft_file import read_draft_file
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Role, add_user, find_user
from scheduler.sandbox.server import RunningSandbox
from tests.integration.photos import phone_photo
from tests.integration.publishing import drain, sandbox_config
from tidings.web.app import create_app
from tidings.web.in_thread import serving
from tidings.web.session_key import WEB_SECRET_VARIABLE

HELLO = {
    "kind": "post",
    "title": "Library hours",
    "channels": ["mastodon", "team-chat"],
    "text": {"en": "The central library now opens at eight on weekdays."},
}


@pytest.fixture
def api_config(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.setenv(WEB_SECRET_VARIABLE, secrets.token_urlsafe(32))
    return sandbox_config(sandbox.base_url, monkeypatch)


@pytest.fixture
def tokens(database: Database) -> dict[str, str]:
    """mina (author), joon (reviewer) and sol (admin), each with a token of the scopes a
    script of theirs would have."""
    made = {}
    with database.writing() as session:
        for name, role in (("mina", Role.AUTHOR), ("joon", Role.REVIEWER), ("sol", Role.ADMIN)):
            add_user(session, name=name, role=role, password_hash=None, actor=None)
        for name, scopes in (
            ("mina", [Scope.READ, Scope.DRAFTS_WRITE, Scope.REVIEW]),
            ("joon", [Scope.READ, Scope.REVIEW, Scope.DRAFTS_WRITE]),
            ("sol", [Scope.READ]),
        ):
            actor = find_user(session, name)
            made[name] = new_token(
                session, user_name=name, name="script", scopes=scopes, actor=actor
            )
    return made


@pytest.fixture
def api(api_config: Config, database: Database) -> Iterator[str]:
    with serving(create_app(api_config, database)) as origin:
        yield origin + "/api/v1"


def client(api: str, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=api, headers=headers, timeout=10)


def test_a_draft_goes_from_the_api_to_the_platforms(
    api: str,
    api_config: Config,
    database: Database,
    tokens: dict[str, str],
    sandbox: RunningSandbox,
) -> None:
    with client(api, tokens["mina"]) as mina, client(api, tokens["joon"]) as joon:
        made = mina.post("/drafts", json=HELLO)
        assert made.status_code == 201, made.text
        draft = made.json()
        assert draft["status"] == "draft" and len(draft["posts"]) == 2
        assert mina.post(f"/drafts/{draft['id']}/submit").json()["status"] == "in_review"
        read = joon.get(f"/drafts/{draft['id']}").json()
        approved = joon.post(
            f"/drafts/{draft['id']}/approve", json={"content_hash": read["content_hash"]}
        )
        assert approved.status_code == 200, approved.text
        assert approved.json()["status"] == "approved"
        at = (utcnow() + timedelta(minutes=5)).isoformat()
        scheduled = mina.post(f"/drafts/{draft['id']}/schedule", json={"at": at})
        assert scheduled.json()["status"] == "scheduled", scheduled.text

        drain(database, api_config, now=lambda: utcnow() + timedelta(minutes=10))

        posts = mina.get("/posts", params={"draft_id": draft["id"]}).json()["posts"]
        assert [post["status"] for post in posts] == ["published", "published"]
        attempts = mina.get(f"/posts/{posts[0]['id']}/attempts").json()
        assert [attempt["outcome"] for attempt in attempts] == ["published"]
        listed = mina.get("/channels")
        assert listed.status_code == 200, listed.text
        channels = {channel["id"]: channel for channel in listed.json()}
        published = channels[posts[0]["channel"]]["last_published"]
        assert published["post_id"] == posts[0]["id"]
        assert published["url"] == posts[0]["remote_url"]
        assert channels[posts[0]["channel"]]["last_error"] is None
        assert channels["mastodon-b"]["last_published"] is None
    received = [post.text for post in sandbox.state.posts()]
    assert received.count(HELLO["text"]["en"]) == 2  # mastodon and the webhook, each once


def test_an_author_cannot_approve_and_nobody_approves_what_they_did_not_read(
    api: str, tokens: dict[str, str]
) -> None:
    with client(api, tokens["mina"]) as mina, client(api, tokens["joon"]) as joon:
        draft = mina.post("/drafts", json=HELLO).json()
        mina.post(f"/drafts/{draft['id']}/submit")
        own = mina.post(
            f"/drafts/{draft['id']}/approve", json={"content_hash": draft["content_hash"]}
        )
        assert own.status_code == 403
        assert own.json()["error"]["message"] == "mina (author) may not review drafts"
        stale = joon.post(f"/drafts/{draft['id']}/approve", json={"content_hash": "0" * 16})
        assert stale.status_code == 409
        assert joon.get(f"/drafts/{draft['id']}").json()["status"] == "in_review"


def test_a_token_missing_wrong_revoked_or_expired_is_refused(
    api_config: Config, database: Database, tokens: dict[str, str]
) -> None:
    with database.writing() as session:
        joon = find_user(session, "joon")
        soon = utcnow() + timedelta(hours=1)
        expiring = new_token(
            session,
            user_name="joon",
            name="short",
            scopes=[Scope.READ],
            actor=joon,
            expires_at=soon,
        )
    later = create_app(api_config, database, now=lambda: utcnow() + timedelta(hours=2))
    with serving(later) as origin:
        api = origin + "/api/v1"
        with client(api, expiring) as expired:
            assert expired.get("/drafts").status_code == 401
        with client(api, tokens["joon"]) as valid:
            assert valid.get("/drafts").status_code == 200
    with serving(create_app(api_config, database)) as origin:
        api = origin + "/api/v1"
        for token in (None, "tdg_" + secrets.token_urlsafe(32), "not-a-token"):
            with client(api, token) as anyone:
                answer = anyone.get("/drafts")
                assert answer.status_code == 401
                assert answer.headers["www-authenticate"] == "Bearer"
                assert answer.json()["error"]["field"] == "Authorization"
        with database.writing() as session:
            joon = find_user(session, "joon")
            revoke_token(session, user_name="joon", name="script", actor=joon)
        with client(api, tokens["joon"]) as revoked:
            assert revoked.get("/drafts").status_code == 401


def test_a_scope_the_token_lacks_is_refused_and_nothing_changes(
    api: str, tokens: dict[str, str]
) -> None:
    with client(api, tokens["sol"]) as sol:  # an admin's read-only token
        refused = sol.post("/drafts", json=HELLO)
        assert refused.status_code == 403
        assert refused.json() == {
            "error": {
                "field": "scopes",
                "message": "the token's scopes do not include drafts:write",
            }
        }
        assert sol.get("/drafts").json() == {"drafts": [], "after": None}


def test_a_bad_body_names_its_field(api: str, tokens: dict[str, str]) -> None:
    with client(api, tokens["mina"]) as mina:
        unknown = mina.post("/drafts", json={**HELLO, "channels": ["nowhere"]})
        assert unknown.status_code == 422
        assert unknown.json()["error"]["field"] == "channels"
        missing = mina.post("/drafts", json={"kind": "post", "channels": ["mastodon"]})
        assert missing.status_code == 422 and missing.json()["error"]["field"] == "title"
        nulls = mina.post("/drafts", json={**HELLO, "fields": {"points": ["one", None]}})
        assert nulls.status_code == 422
        assert nulls.json()["error"] == {
            "field": "fields.points",
            "message": "fields.points: a list may not hold null",
        }
        # Said as a draft file's problems are, not in pydantic's words ('Input should be ...',
        # 'Value error, ...').
        thread = mina.post("/drafts", json={**HELLO, "thread": "yes"})
        assert thread.status_code == 422
        assert thread.json()["error"] == {
            "field": "thread",
            "message": "'yes' is not a thread: auto",
        }
        part = mina.post("/drafts", json={**HELLO, "text": {"en": ["One.", " "]}})
        assert part.status_code == 422
        assert part.json()["error"] == {
            "field": "text",
            "message": "part 2 of the en text is empty",
        }
        assert mina.get("/drafts/99999999999").status_code == 404
        assert mina.get("/drafts", params={"after": "nonsense"}).status_code == 400
        assert mina.get("/drafts").json()["drafts"] == []


def test_every_draft_comes_once_a_page_at_a_time(
    api: str, api_config: Config, database: Database, tokens: dict[str, str]
) -> None:
    library = TemplateLibrary.default()
    with database.writing() as session:
        author = find_user(session, "mina")
        for number in range(1000):
            source = (
                f'kind = "post"\ntitle = "Notice {number}"\nchannels = ["mastodon"]\n'
                f'[text]\nen = "Notice number {number}."\n'
            )
            content = read_draft_file(source, "notice.toml", api_config, utcnow())
            add_draft(session, content=content, author=author, config=api_config, library=library)
    seen: list[int] = []
    with client(api, tokens["joon"]) as joon:
        after = None
        while True:
            params = {"limit": 200, **({"after": after} if after else {})}
            page = joon.get("/drafts", params=params).json()
            seen += [draft["id"] for draft in page["drafts"]]
            after = page["after"]
            if after is None:
                break
    assert len(seen) == 1000 and len(set(seen)) == 1000


def test_the_reference_page_is_written_here_from_the_document(api: str) -> None:
    page = httpx.get(f"{api}/docs", timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<code>POST /api/v1/drafts/{draft_id}/approve</code>" in page.text
    assert "<script" not in page.text  # nothing fetched from elsewhere (the CSP allows none)


def test_a_draft_with_an_image_comes_as_multipart(api: str, tokens: dict[str, str]) -> None:
    fields = {
        **HELLO,
        "media": [{"file": "reading-room.jpg", "alt": "The reading room at eight"}],
    }
    with client(api, tokens["mina"]) as mina:
        made = mina.post(
            "/drafts/with-images",
            data={"draft": json.dumps(fields)},
            files=[("images", ("reading-room.jpg", phone_photo(), "image/jpeg"))],
        )
        assert made.status_code == 201, made.text
        (media,) = made.json()["posts"][0]["media"]
        assert media["alt"] == "The reading room at eight"
        missing = mina.post(
            "/drafts/with-images",
            data={"draft": json.dumps(fields)},
            files=[("images", ("other.jpg", phone_photo(), "image/jpeg"))],
        )
        assert missing.status_code == 422
        assert missing.json()["error"]["field"] == "media[0].file"
        assert "reading-room.jpg: no such file" in missing.json()["error"]["message"]
        assert len(mina.get("/drafts").json()["drafts"]) == 1  # the refused one added nothing
