"""Event hooks on the Notifications page (issue 15 point 3): a delivery to a hook shows as
``hook`` and its URL's host, never the URL's path (which may carry a token) nor the secret; a
post.published event is said in words, in English and Korean."""

from __future__ import annotations

import pytest
from sqlmodel import select
from starlette.applications import Starlette

from drafts.config import HookSettings
from drafts.models import NotificationEvent
from drafts.notification_events import Event, record_event
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Role
from scheduler.notifications.fan_out import fan_out
from tests.web.conftest import SQLITE_ONLY, add_people, client, log_in, one, set_language, text

pytestmark = pytest.mark.anyio

URL = "https://intranet.example.org:8443/hooks/path-token-1f9a?key=query-token-77c2"


@SQLITE_ONLY
async def test_a_hook_delivery_shows_its_host_only(app: Starlette, database: Database) -> None:
    sora = add_people(database, {"sora": Role.ADMIN})["sora"]
    hook = HookSettings(url=URL, secret_env="TIDINGS_HOOK_SECRET")
    with database.writing() as session:
        record_event(session, Event.POST_PUBLISHED, "post:5:published", post_id=5)
        (event_id,) = session.exec(select(NotificationEvent.id))
        assert event_id is not None
        fan_out(session, event_id, email=True, chat=True, now=utcnow(), hooks=[hook])
    async with client(app) as browser:
        assert (await log_in(browser, sora)).status_code == 303
        english = await browser.get("/notifications")
        set_language(database, "sora", "ko")
        korean = await browser.get("/notifications")

    row = one(english.text, "tbody tr")  # the hook's alone: no person nor the chat hears of it
    assert text(one(row, "th")).startswith("A post was published")
    assert text(one(row, "td[data-label=To]")) == "hook intranet.example.org:8443"
    for page in (english.text, korean.text):
        assert "path-token" not in page and "query-token" not in page
    assert text(one(one(korean.text, "tbody tr"), "th")).startswith("게시물이 게시되었습니다")
