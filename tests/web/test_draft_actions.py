"""A draft's page carries the actions its viewer may take, and only those: its author edits and
submits it, a reviewer approves it or asks for changes, an approved draft is scheduled there
(at a time or in each channel's next free slot), published now, unscheduled or cancelled, the
last three after a page that asks first. Every action is a POST with the CSRF token answered by
a redirect; the same POST again changes nothing and says so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from anyio import to_thread
from starlette.applications import Starlette

from drafts.audit import history
from drafts.authoring import draft_posts, edit_draft
from drafts.config import Config
from drafts.lifecycle import DraftStatus, PostStatus
from drafts.models import Post
from drafts.rendering import TemplateLibrary
from drafts.review import approve, request_changes, submit
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Role, find_user
from scheduler.sandbox import RunningSandbox
from tests.integration.drafting import add_content, free_text
from tests.integration.publishing import drain, sandbox_config
from tests.web.conftest import (
    SQLITE_ONLY,
    Drafts,
    Person,
    add_people,
    client,
    csrf_token,
    elements,
    has_form,
    heading,
    log_in,
    one,
    parse,
    text,
    texts,
)
from tests.web.scheduling import next_sunday_evening, scheduled

pytestmark = [pytest.mark.anyio, SQLITE_ONLY]


def offered(html: str, draft_id: int) -> set[str]:
    """The actions the draft's page offers: each form it posts and each link it follows under
    ``/drafts/ID/`` (``edit``, ``submit``, ``approve``, ``schedule``, ``cancel``, ...)."""
    base = f"/drafts/{draft_id}/"
    targets = [str(form["action"]) for form in elements(html, "main form[action]")]
    targets += [str(link["href"]) for link in elements(html, "main a[href]")]
    return {target.removeprefix(base) for target in targets if target.startswith(base)}


def approved(drafts: Drafts, database: Database, config: Config) -> int:
    """A draft mina wrote and joon approved, with no time to publish it: its id."""
    draft_id = drafts.add({"en": "The library opens late on Sundays."})
    with database.writing() as session:
        joon = find_user(session, "joon")
        approve(session, draft_id=draft_id, reviewer=joon, comment="", config=config, now=utcnow())
    return draft_id


def stored_posts(database: Database, draft_id: int) -> list[Post]:
    with database.reading() as session:
        return draft_posts(session, draft_id)


def actions_taken(database: Database, draft_id: int, action: str) -> int:
    with database.reading() as session:
        return sum(entry.action == action for entry in history(session, draft_id=draft_id))


def flash_of(html: str) -> str:
    return text(one(html, ".flash"))


@pytest.fixture
async def as_hana(
    app: Starlette, database: Database, people: dict[str, Person]
) -> AsyncIterator[httpx.AsyncClient]:
    """An admin (added after the others: once there is an admin, only an admin adds users)."""
    [hana] = add_people(database, {"hana": Role.ADMIN}).values()
    async with client(app) as browser:
        assert (await log_in(browser, hana)).status_code == 303
        yield browser


async def test_each_role_sees_exactly_its_actions(
    as_mina: httpx.AsyncClient,
    as_joon: httpx.AsyncClient,
    as_hana: httpx.AsyncClient,
    drafts: Drafts,
    database: Database,
    config: Config,
) -> None:
    written = drafts.add(review=False)
    in_review = drafts.add()
    sent_back = drafts.add()
    with database.writing() as session:
        request_changes(
            session,
            draft_id=sent_back,
            reviewer=find_user(session, "joon"),
            comment="Say when it opens.",
            config=config,
        )
    approved_id = approved(drafts, database, config)
    scheduled_id, _ = scheduled(drafts, database, config, next_sunday_evening())

    expected = {
        (as_mina, written): {"edit", "submit", "cancel"},
        (as_mina, sent_back): {"edit", "submit", "cancel"},
        (as_mina, in_review): {"edit", "cancel"},
        (as_mina, approved_id): {"edit", "schedule", "publish-now", "cancel"},
        (as_mina, scheduled_id): {"edit", "schedule", "publish-now", "unschedule", "cancel"},
        (as_joon, written): {"cancel"},
        (as_joon, in_review): {"approve", "request-changes", "cancel"},
        (as_joon, approved_id): {"request-changes", "schedule", "publish-now", "cancel"},
        (as_joon, scheduled_id): {
            "request-changes",
            "schedule",
            "publish-now",
            "unschedule",
            "cancel",
        },
        # An admin edits anyone's draft, and reviews a draft someone else wrote.
        (as_hana, in_review): {"edit", "approve", "request-changes", "cancel"},
    }
    for (browser, draft_id), actions in expected.items():
        page = await browser.get(f"/drafts/{draft_id}")
        assert page.status_code == 200
        assert offered(page.text, draft_id) == actions, (draft_id, actions)
    reviewing = (await as_joon.get(f"/drafts/{in_review}")).text
    assert "Edit this draft" not in text(parse(reviewing))


def in_order(html: str, draft_id: int) -> list[str]:
    """The draft's actions as its page offers them, top to bottom (a link to the decision
    below the posts is ``#decide``)."""
    base = f"/drafts/{draft_id}/"
    found = []
    for element in elements(html, "main form[action], main a[href]"):
        target = str(element.get("action") or element.get("href"))
        if target.startswith(base) or target == "#decide":
            found.append(target.removeprefix(base))
    return found


async def test_the_main_action_comes_first_and_cancelling_last_set_apart(
    as_mina: httpx.AsyncClient,
    as_joon: httpx.AsyncClient,
    drafts: Drafts,
    database: Database,
    config: Config,
) -> None:
    written = drafts.add(review=False)
    in_review = drafts.add()
    scheduled_id, _ = scheduled(drafts, database, config, next_sunday_evening())

    author = (await as_mina.get(f"/drafts/{written}")).text
    assert in_order(author, written) == ["submit", "edit", "cancel"]
    reviewer = (await as_joon.get(f"/drafts/{in_review}")).text
    assert in_order(reviewer, in_review) == ["#decide", "approve", "request-changes", "cancel"]
    assert one(reviewer, "section#decide form.approve")
    queued = (await as_mina.get(f"/drafts/{scheduled_id}")).text
    assert in_order(queued, scheduled_id)[-2:] == ["unschedule", "cancel"]
    apart = one(queued, "section.draft-actions-end")
    assert {str(link["href"]) for link in elements(apart, "a")} == {
        f"/drafts/{scheduled_id}/unschedule",
        f"/drafts/{scheduled_id}/cancel",
    }


async def test_a_writer_is_not_offered_to_review_what_they_wrote(
    as_hana: httpx.AsyncClient,
    drafts: Drafts,
    database: Database,
    config: Config,
    library: TemplateLibrary,
) -> None:
    draft_id = drafts.add()
    with database.writing() as session:  # the admin edits mina's draft: now she wrote it too
        edit_draft(
            session,
            draft_id=draft_id,
            content=drafts.content({"en": "Open again from Monday."}, "Riverside park", None),
            editor=find_user(session, "hana"),
            config=config,
            library=library,
        )
    page = await as_hana.get(f"/drafts/{draft_id}")
    assert offered(page.text, draft_id) == {"edit", "cancel"}


async def test_submit_from_the_draft_page_once(
    as_mina: httpx.AsyncClient, drafts: Drafts, database: Database
) -> None:
    draft_id = drafts.add(review=False)
    page = await as_mina.get(f"/drafts/{draft_id}")
    token = csrf_token(page.text)
    sent = await as_mina.post(f"/drafts/{draft_id}/submit", data={"csrf_token": token})
    assert (sent.status_code, sent.headers["location"]) == (303, f"/drafts/{draft_id}")
    assert drafts.status(draft_id) == DraftStatus.IN_REVIEW
    shown = (await as_mina.get(f"/drafts/{draft_id}")).text
    assert flash_of(shown) == f"Draft {draft_id} sent to review."
    assert "submit" not in offered(shown, draft_id)

    again = await as_mina.post(f"/drafts/{draft_id}/submit", data={"csrf_token": token})
    assert again.status_code == 303
    shown = (await as_mina.get(f"/drafts/{draft_id}")).text
    assert flash_of(shown) == f"Draft {draft_id} is already in review; nothing changed."
    assert actions_taken(database, draft_id, "draft.submit") == 1


async def test_a_reviewer_cannot_submit(
    as_joon: httpx.AsyncClient, drafts: Drafts, database: Database
) -> None:
    draft_id = drafts.add(review=False)
    token = csrf_token((await as_joon.get(f"/drafts/{draft_id}")).text)
    refused = await as_joon.post(f"/drafts/{draft_id}/submit", data={"csrf_token": token})
    assert refused.status_code == 403
    assert "joon is a reviewer and may not write drafts" in text(one(refused.text, ".error"))
    assert drafts.status(draft_id) == DraftStatus.DRAFT


async def test_schedule_from_the_draft_page(
    as_mina: httpx.AsyncClient, drafts: Drafts, database: Database, config: Config
) -> None:
    draft_id = approved(drafts, database, config)
    page = await as_mina.get(f"/drafts/{draft_id}")
    form = one(page.text, f'form[action="/drafts/{draft_id}/schedule"]')
    assert {str(b["value"]) for b in elements(form, "button[name=when]")} == {"at", "next-slot"}
    token = csrf_token(page.text)

    empty = await as_mina.post(
        f"/drafts/{draft_id}/schedule", data={"csrf_token": token, "when": "at", "at": ""}
    )
    assert empty.status_code == 400
    assert text(one(empty.text, "#schedule-error")) == (
        "give a time, or choose each channel's next free slot"
    )

    seoul = ZoneInfo("Asia/Seoul")
    past = (datetime.now(seoul) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    refused = await as_mina.post(
        f"/drafts/{draft_id}/schedule", data={"csrf_token": token, "when": "at", "at": past}
    )
    assert refused.status_code == 400
    assert "is in the past" in text(one(refused.text, "#schedule-error"))
    field = one(refused.text, 'input[name="at"]')
    assert (field["value"], field["aria-describedby"]) == (past, "schedule-error")
    assert drafts.status(draft_id) == DraftStatus.APPROVED

    at = (datetime.now(seoul) + timedelta(days=3)).replace(
        hour=9, minute=15, second=0, microsecond=0
    )
    timed = await as_mina.post(
        f"/drafts/{draft_id}/schedule",
        data={"csrf_token": token, "when": "at", "at": at.strftime("%Y-%m-%dT%H:%M")},
    )
    assert (timed.status_code, timed.headers["location"]) == (303, f"/drafts/{draft_id}")
    assert {post.due_at for post in stored_posts(database, draft_id)} == {at.astimezone(UTC)}
    assert flash_of((await as_mina.get(f"/drafts/{draft_id}")).text).startswith(
        f"Draft {draft_id} scheduled from "
    )


async def test_schedule_in_each_channels_next_free_slot(
    as_joon: httpx.AsyncClient, drafts: Drafts, database: Database, config: Config
) -> None:
    draft_id = approved(drafts, database, config)
    token = csrf_token((await as_joon.get(f"/drafts/{draft_id}")).text)
    slotted = await as_joon.post(
        f"/drafts/{draft_id}/schedule", data={"csrf_token": token, "when": "next-slot"}
    )
    assert slotted.status_code == 303
    assert drafts.status(draft_id) == DraftStatus.SCHEDULED
    # linkedin's slots are Seoul's, x-en's London's: each channel's own next free slot.
    due = {post.channel: post.due_at for post in stored_posts(database, draft_id)}
    assert due.keys() == {"linkedin", "x-en"} and all(due.values())
    page = (await as_joon.get(f"/drafts/{draft_id}")).text
    assert heading(page) == f"Riverside park reopens #{draft_id}"
    assert text(one(page, "#schedule-heading")) == "Move to another time"


async def test_cancel_asks_first_and_a_second_press_changes_nothing(
    as_mina: httpx.AsyncClient, drafts: Drafts, database: Database, config: Config
) -> None:
    draft_id, _posts = scheduled(drafts, database, config, next_sunday_evening())
    page = await as_mina.get(f"/drafts/{draft_id}")
    assert one(page.text, "#cancel-draft")["href"] == f"/drafts/{draft_id}/cancel"

    asking = await as_mina.get(f"/drafts/{draft_id}/cancel")
    assert asking.status_code == 200
    assert heading(asking.text) == f"Cancel draft #{draft_id}?"
    assert len(elements(asking.text, ".confirm-posts li")) == 2  # linkedin and x-en, in English
    assert drafts.status(draft_id) == DraftStatus.SCHEDULED  # asking changed nothing
    assert one(asking.text, "#keep")["href"] == f"/drafts/{draft_id}"
    token = csrf_token(asking.text)

    forged = await as_mina.post(f"/drafts/{draft_id}/cancel")
    assert forged.status_code == 403
    assert drafts.status(draft_id) == DraftStatus.SCHEDULED

    done = await as_mina.post(f"/drafts/{draft_id}/cancel", data={"csrf_token": token})
    assert (done.status_code, done.headers["location"]) == (303, f"/drafts/{draft_id}")
    assert drafts.status(draft_id) == DraftStatus.CANCELLED
    assert {post.status for post in stored_posts(database, draft_id)} == {PostStatus.CANCELLED}
    shown = (await as_mina.get(f"/drafts/{draft_id}")).text
    assert flash_of(shown) == (
        f"Draft {draft_id} cancelled: its posts not yet published will not be."
    )
    assert offered(shown, draft_id) == set()  # nothing is left to do with it

    again = await as_mina.post(f"/drafts/{draft_id}/cancel", data={"csrf_token": token})
    assert again.status_code == 303
    shown = (await as_mina.get(f"/drafts/{draft_id}")).text
    assert flash_of(shown) == f"Draft {draft_id} was already cancelled; nothing changed."
    assert actions_taken(database, draft_id, "draft.cancel") == 1


async def test_unschedule_asks_first_and_leaves_the_draft_approved(
    as_joon: httpx.AsyncClient, drafts: Drafts, database: Database, config: Config
) -> None:
    due = next_sunday_evening()
    draft_id, _posts = scheduled(drafts, database, config, due)
    asking = await as_joon.get(f"/drafts/{draft_id}/unschedule")
    assert heading(asking.text) == f"Unschedule draft #{draft_id}?"
    assert all("due " in line for line in texts(asking.text, ".confirm-posts li"))
    token = csrf_token(asking.text)

    done = await as_joon.post(f"/drafts/{draft_id}/unschedule", data={"csrf_token": token})
    assert done.status_code == 303
    assert drafts.status(draft_id) == DraftStatus.APPROVED
    assert {(p.status, p.due_at) for p in stored_posts(database, draft_id)} == {
        (PostStatus.PENDING, None)
    }
    shown = (await as_joon.get(f"/drafts/{draft_id}")).text
    assert flash_of(shown) == (
        f"Draft {draft_id} unscheduled: it is approved again and none of its posts is due."
    )
    assert offered(shown, draft_id) == {"request-changes", "schedule", "publish-now", "cancel"}

    again = await as_joon.post(f"/drafts/{draft_id}/unschedule", data={"csrf_token": token})
    assert again.status_code == 303
    shown = (await as_joon.get(f"/drafts/{draft_id}")).text
    assert flash_of(shown) == f"Draft {draft_id} is not scheduled; nothing changed."
    assert actions_taken(database, draft_id, "draft.unschedule") == 1


async def test_publish_now_makes_the_posts_due_now_once(
    as_mina: httpx.AsyncClient, drafts: Drafts, database: Database, config: Config
) -> None:
    draft_id = approved(drafts, database, config)
    asking = await as_mina.get(f"/drafts/{draft_id}/publish-now")
    assert heading(asking.text) == f"Publish draft #{draft_id} now?"
    assert drafts.status(draft_id) == DraftStatus.APPROVED
    token = csrf_token(asking.text)

    before = utcnow()
    done = await as_mina.post(f"/drafts/{draft_id}/publish-now", data={"csrf_token": token})
    after = utcnow()
    assert done.status_code == 303
    posts = stored_posts(database, draft_id)
    assert {post.status for post in posts} == {PostStatus.SCHEDULED}
    for post in posts:
        assert post.due_at is not None and before <= post.due_at <= after
        assert post.attempt_at == post.due_at
    shown = (await as_mina.get(f"/drafts/{draft_id}")).text
    assert flash_of(shown) == (
        f"Draft {draft_id} is due now: the daemon publishes each of its posts once."
    )
    assert "publish-now" not in offered(shown, draft_id)

    again = await as_mina.post(f"/drafts/{draft_id}/publish-now", data={"csrf_token": token})
    assert again.status_code == 303
    assert [p.due_at for p in stored_posts(database, draft_id)] == [p.due_at for p in posts]
    shown = (await as_mina.get(f"/drafts/{draft_id}")).text
    assert flash_of(shown) == f"Draft {draft_id} is already due; nothing changed."
    assert actions_taken(database, draft_id, "draft.publish-now") == 1


async def test_a_refusal_is_shown_on_the_page_that_asked(
    as_mina: httpx.AsyncClient, drafts: Drafts, database: Database, config: Config
) -> None:
    draft_id, posts = scheduled(drafts, database, config, next_sunday_evening())
    token = csrf_token((await as_mina.get(f"/drafts/{draft_id}/unschedule")).text)
    with database.writing() as session:  # a daemon takes one of its posts meanwhile
        sending = session.get(Post, posts[0].id)
        assert sending is not None
        sending.status, sending.lease_owner = PostStatus.PUBLISHING, "daemon-1"
    refused = await as_mina.post(f"/drafts/{draft_id}/unschedule", data={"csrf_token": token})
    assert refused.status_code == 400
    assert "post is being published; try again when it is out" in text(one(refused.text, ".error"))
    assert has_form(refused.text, f"/drafts/{draft_id}/unschedule")
    assert drafts.status(draft_id) == DraftStatus.SCHEDULED
    page = await as_mina.get(f"/drafts/{draft_id}")
    assert offered(page.text, draft_id) == {"cancel"}  # nothing else could be done now


class TestPublishNowThroughTheDaemon:
    """Two Mastodon accounts on the sandbox: the daemon publishes each post once."""

    @pytest.fixture
    def config(self, sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> Config:
        return sandbox_config(sandbox.base_url, monkeypatch)

    @pytest.fixture
    def people(self, database: Database) -> dict[str, Person]:
        return add_people(database, {"mina": Role.AUTHOR, "joon": Role.REVIEWER})

    async def test_a_drain_publishes_each_post_once(
        self,
        as_joon: httpx.AsyncClient,
        database: Database,
        config: Config,
        sandbox: RunningSandbox,
        library: TemplateLibrary,
    ) -> None:
        text = {"en": "The harbour walk is open from today."}
        content = free_text(config, "Harbour walk", text, channels=("mastodon", "mastodon-b"))
        with database.writing() as session:
            mina = find_user(session, "mina")
        draft_id, _posts = add_content(database, config, library, mina, content)
        with database.writing() as session:
            submit(session, draft_id=draft_id, actor=mina, config=config)
            joon = find_user(session, "joon")
            approve(
                session, draft_id=draft_id, reviewer=joon, comment="", config=config, now=utcnow()
            )
        token = csrf_token((await as_joon.get(f"/drafts/{draft_id}/publish-now")).text)
        for _press in range(2):
            answer = await as_joon.post(
                f"/drafts/{draft_id}/publish-now", data={"csrf_token": token}
            )
            assert answer.status_code == 303

        # The daemon in a thread of its own: it runs its own event loop, as `tidings run` does.
        await to_thread.run_sync(drain, database, config)
        await to_thread.run_sync(drain, database, config)  # nothing is left to send

        posts = stored_posts(database, draft_id)
        assert {post.channel for post in posts} == {"mastodon", "mastodon-b"}
        assert {post.status for post in posts} == {PostStatus.PUBLISHED}
        received = sandbox.state.posts("mastodon")
        assert sorted(post.remote_id for post in received) == sorted(
            str(post.remote_id) for post in posts
        )
        assert len(received) == 2
