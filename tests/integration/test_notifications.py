"""Notifications delivered for real: e-mail to an aiosmtpd server on loopback, chat messages
to a loopback webhook, from the events the workflow and the daemon record, on SQLite and
PostgreSQL. One message per event and recipient, however often the outbox is drained; in the
recipient's language and timezone; and a mail server that is down holds back no post."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from drafts.config import Config, parse_config
from drafts.errors import ConfigError
from drafts.lifecycle import PostStatus
from drafts.models import Draft, NotificationDelivery, NotificationEvent, Post
from drafts.notification_events import Event, record_event
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Role
from scheduler.notifications.chat import chat_payload
from scheduler.notifications.messages import Message, Reader, when
from scheduler.notifications.outbox import DeliveryPolicy
from scheduler.sandbox import RunningSandbox
from scheduler.vault import Sealer
from tests.integration.connected import connect
from tests.integration.notifying import (
    PUBLIC_URL,
    Mailbox,
    add_person,
    chat_webhook,
    free_port,
    notify,
    notifying,
    set_contact,
)
from tests.integration.publishing import drain, posts, queue_posts, sandbox_config

AT_ONCE = DeliveryPolicy(first_retry=timedelta(0))  # a failed try is due again at once


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    yield box
    box.stop()


def author_of(database: Database, post_id: int) -> int:
    with database.reading() as session:
        post = session.get(Post, post_id)
        assert post is not None
        draft = session.get(Draft, post.draft_id)
        assert draft is not None
        return draft.author_id


def deliveries(database: Database) -> list[NotificationDelivery]:
    with database.reading() as session:
        return list(
            session.exec(select(NotificationDelivery).order_by(col(NotificationDelivery.id)))
        )


def test_a_post_failed_for_good_mails_its_author_and_the_admins_once_each(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
    mailbox: Mailbox,
) -> None:
    mailbox.start()
    config = notifying(sandbox_config(sandbox.base_url, monkeypatch), smtp_port=mailbox.port)
    (post_id,) = queue_posts(database, config, library, channels=["mastodon"])
    notify(database, config)  # the review's events, while nobody has an address yet
    author = author_of(database, post_id)
    set_contact(database, author, email="min@example.org", language="ko", timezone="Asia/Seoul")
    add_person(database, "ops", Role.ADMIN, email="ops@example.org", timezone="Europe/Berlin")
    add_person(database, "nomail", Role.ADMIN, email=None, actor="ops")
    add_person(
        database, "quiet", Role.ADMIN, email="q@example.org", muted=["post_failed"], actor="ops"
    )
    add_person(database, "rev", Role.REVIEWER, email="rev@example.org", actor="ops")
    sandbox.state.faults.add("revoked", "mastodon")

    drain(database, config)  # fails for good; the drain ends with a round of notifications
    assert len(mailbox.messages) == 2
    drain(database, config)
    notify(database, config)

    assert posts(database, [post_id])[0].status == PostStatus.FAILED
    assert sorted(message["To"] for message in mailbox.messages) == [
        "min@example.org",
        "ops@example.org",
    ]
    with database.reading() as session:
        (event,) = session.exec(
            select(NotificationEvent).where(NotificationEvent.event == Event.POST_FAILED)
        )
    link = f"{PUBLIC_URL}/posts/{post_id}"
    (korean,) = mailbox.to("min@example.org")
    assert korean["Subject"] == "mastodon 채널 게시 실패: Post 0"
    body = korean.get_content()
    assert "게시물을 mastodon 채널에 게시하지 못했습니다" in body and link in body
    assert when(event.created_at, Reader("ko", ZoneInfo("Asia/Seoul"))) in body
    (english,) = mailbox.to("ops@example.org")
    assert english["Subject"] == "Not published on mastodon: Post 0"
    body = english.get_content()
    assert "was not published" in body and link in body
    assert when(event.created_at, Reader("en", ZoneInfo("Europe/Berlin"))) in body
    assert {d.status for d in deliveries(database)} == {"sent"}


def test_a_submitted_draft_mails_each_reviewer_and_not_its_author(
    database: Database, library: TemplateLibrary, config: Config, mailbox: Mailbox
) -> None:
    mailbox.start()
    config = notifying(config, smtp_port=mailbox.port)
    (post_id,) = queue_posts(database, config, library, channels=["mastodon"])  # submits
    # Recipients are found when the event is fanned out: these are the reviewers then.
    add_person(database, "boss", Role.ADMIN, email="boss@example.org")
    add_person(database, "rev1", Role.REVIEWER, email="rev1@example.org", actor="boss")
    add_person(
        database, "rev2", Role.REVIEWER, email="rev2@example.org", language="ko", actor="boss"
    )
    notify(database, config)
    notify(database, config)

    with database.reading() as session:
        draft_id = session.get(Post, post_id).draft_id  # type: ignore[union-attr]
    waiting = [m for m in mailbox.messages if f"/drafts/{draft_id}" in m.get_content()]
    told = sorted(m["To"] for m in waiting if "Approved" not in m["Subject"])
    assert told == ["boss@example.org", "rev1@example.org", "rev2@example.org"]
    (korean,) = mailbox.to("rev2@example.org")
    assert korean["Subject"] == "검토 대기: Post 0"


def test_a_post_retried_twice_then_published_mails_nobody(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
    mailbox: Mailbox,
) -> None:
    mailbox.start()
    config = notifying(sandbox_config(sandbox.base_url, monkeypatch), smtp_port=mailbox.port)
    (post_id,) = queue_posts(database, config, library, channels=["mastodon"])
    notify(database, config)  # the review's events, while nobody has an address yet
    set_contact(
        database, author_of(database, post_id), email="a@example.org", language=None, timezone=None
    )
    add_person(database, "ops", Role.ADMIN, email="ops@example.org", actor=None)
    sandbox.state.faults.add("status", "mastodon", path="/api/v1/statuses", status=503, times=2)

    drain(database, config, retry_base_delay=timedelta(milliseconds=50))
    notify(database, config)

    (post,) = posts(database, [post_id])
    assert post.status == PostStatus.PUBLISHED
    assert len(sandbox.state.requests("mastodon", path="/api/v1/statuses")) == 3
    assert mailbox.messages == []


def test_a_dead_mail_server_holds_back_no_post_and_the_mail_goes_out_once_it_is_back(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
    mailbox: Mailbox,
) -> None:
    config = notifying(sandbox_config(sandbox.base_url, monkeypatch), smtp_port=mailbox.port)
    (post_id,) = queue_posts(database, config, library, channels=["mastodon"])
    author = author_of(database, post_id)
    set_contact(database, author, email="min@example.org", language=None, timezone=None)

    drain(database, config, notifications=AT_ONCE)  # the mail server's port is closed

    assert posts(database, [post_id])[0].status == PostStatus.PUBLISHED
    (waiting,) = deliveries(database)  # the approval, for its author
    assert waiting.status == "pending" and waiting.tries >= 1
    assert f"127.0.0.1:{mailbox.port}" in (waiting.last_error or "")
    assert mailbox.messages == []

    mailbox.start()
    drain(database, config, notifications=AT_ONCE)

    (sent,) = deliveries(database)
    assert sent.status == "sent" and sent.sent_at is not None
    (message,) = mailbox.to("min@example.org")
    assert message["Subject"] == "Approved: Post 0"


def test_a_delivery_is_given_up_after_its_last_try(
    database: Database, library: TemplateLibrary, config: Config, mailbox: Mailbox
) -> None:
    config = notifying(config, smtp_port=mailbox.port)
    (post_id,) = queue_posts(database, config, library, channels=["mastodon"])
    set_contact(
        database, author_of(database, post_id), email="a@example.org", language=None, timezone=None
    )
    policy = DeliveryPolicy(first_retry=timedelta(0), max_tries=2)
    for _ in range(3):
        notify(database, config, policy)
    (given_up,) = deliveries(database)
    assert (given_up.status, given_up.tries) == ("failed", 2)


def test_nobody_without_an_address_or_who_turned_the_event_off_is_mailed(
    database: Database, library: TemplateLibrary, config: Config, mailbox: Mailbox
) -> None:
    mailbox.start()
    config = notifying(config, smtp_port=mailbox.port)
    add_person(database, "boss", Role.ADMIN, email=None)
    add_person(database, "rev1", Role.REVIEWER, email="rev1@example.org", actor="boss")
    add_person(database, "rev2", Role.REVIEWER, email="rev2@example.org", actor="boss")
    add_person(
        database,
        "rev3",
        Role.REVIEWER,
        email="r3@example.org",
        muted=["review_requested"],
        actor="boss",
    )
    with database.writing() as session:
        record_event(session, Event.REVIEW_REQUESTED, "draft:1:review:1", draft_id=1)
    notify(database, config)
    notify(database, config)
    assert sorted(m["To"] for m in mailbox.messages) == ["rev1@example.org", "rev2@example.org"]


def test_the_chat_webhook_gets_one_slack_message_per_event(
    database: Database,
    library: TemplateLibrary,
    config: Config,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with chat_webhook() as (url, received):
        monkeypatch.setenv("TIDINGS_T_CHAT", url)
        config = notifying(config, smtp_port=None, chat_env="TIDINGS_T_CHAT")
        (post_id,) = queue_posts(database, config, library, channels=["mastodon"])
        notify(database, config)
        notify(database, config)
    with database.reading() as session:
        draft_id = session.get(Post, post_id).draft_id  # type: ignore[union-attr]
    link = f"{PUBLIC_URL}/drafts/{draft_id}"
    assert sorted(received, key=str) == [
        {"text": f"Approved: Post 0: {link}"},
        {"text": f"Waiting for your review: Post 0: {link}"},
    ]
    assert all(d.recipient == "chat" for d in deliveries(database))


def test_teams_gets_an_adaptive_card() -> None:
    payload = chat_payload(Message("Approved: Launch", "", "https://t.example/drafts/1"), "teams")
    (attachment,) = payload["attachments"]
    assert payload["type"] == "message"
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    (block,) = attachment["content"]["body"]
    assert block == {
        "type": "TextBlock",
        "text": "Approved: Launch: https://t.example/drafts/1",
        "wrap": True,
    }


def test_a_credential_lapsing_within_a_week_is_told_to_the_admins_once(
    database: Database, config: Config, mailbox: Mailbox
) -> None:
    mailbox.start()
    config = notifying(config, smtp_port=mailbox.port)
    add_person(database, "ops", Role.ADMIN, email="ops@example.org", language="ko")
    sealer = Sealer("k" * 43)
    lapses = utcnow() + timedelta(days=3)
    connect(database, config.channel("mastodon"), sealer=sealer, expires_at=lapses)
    connect(
        database, config.channel("x-en"), sealer=sealer, expires_at=utcnow() + timedelta(days=30)
    )

    notify(database, config)
    notify(database, config, DeliveryPolicy(expiry_check_every=timedelta(0)))

    with database.reading() as session:
        (event,) = session.exec(select(NotificationEvent))
    assert event.key == f"channel:mastodon:expiring:{lapses.isoformat()}"
    (message,) = mailbox.messages
    assert message["Subject"] == "mastodon 채널의 자격 증명이 곧 만료됩니다"
    assert f"{PUBLIC_URL}/channels" in message.get_content()


def test_a_mail_server_url_of_another_scheme_is_one_line_naming_it() -> None:
    text = '[notifications]\nsmtp_url = "https://mail.example.org"\n'
    with pytest.raises(ConfigError) as refused:
        parse_config(text, Path("config.toml"))
    assert str(refused.value) == (
        "config.toml: notifications.smtp_url: use smtp://HOST:PORT or smtps://HOST:PORT "
        "(user@ to log in)"
    )


def test_a_chat_webhook_that_fails_never_shows_its_address(
    database: Database,
    library: TemplateLibrary,
    config: Config,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # An incoming webhook's address is its secret: a failure is recorded and logged without it.
    secret = "T0A1B2C3/B4D5E6F7/never-show-this-part"
    hook = f"http://127.0.0.1:{free_port()}/services/{secret}"  # nothing listens there
    monkeypatch.setenv("TIDINGS_T_CHAT", hook)
    config = notifying(config, smtp_port=None, chat_env="TIDINGS_T_CHAT")
    queue_posts(database, config, library, channels=["mastodon"])
    with caplog.at_level("DEBUG"):
        notify(database, config)

    tried = deliveries(database)
    assert tried and all(d.tries == 1 and d.last_error for d in tried)
    for delivery in tried:
        assert "never-show-this-part" not in (delivery.last_error or "")
    assert "never-show-this-part" not in caplog.text
