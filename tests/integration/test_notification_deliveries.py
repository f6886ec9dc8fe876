"""``tidings notifications``: the latest deliveries newest first (event, recipient as a user's
name or ``chat``, status, tries, last error, when sent), only the given-up ones with
``--failed``; ``retry ID`` puts a given-up delivery back in the outbox, and the daemon's next
round sends it to a real SMTP server on loopback. A refusal is one line, nothing changed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from drafts.config import Config
from drafts.storage import Database
from tests.integration.command_line import fails, run, use_folder
from tests.integration.notifying import REFUSED, Mailbox, given_up_and_pending, notify, notifying


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_folder(tmp_path, monkeypatch)
    run(["init"])
    run(["user", "add", "hana", "--role", "admin"])
    run(
        ["user", "add", "joon", "--role", "reviewer", "--email", "joon@example.org", "--as", "hana"]
    )
    run(["user", "add", "mina", "--role", "author", "--as", "hana"])
    return tmp_path


@pytest.fixture
def database(workdir: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{workdir / 'tidings.db'}")
    yield db
    db.dispose()


def listed(args: list[str], capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    capsys.readouterr()
    run(["--json", "notifications", *args])
    found: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return found


def test_deliveries_are_listed_newest_first_and_the_failed_alone(
    database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    mail, chat = given_up_and_pending(database)
    every = listed([], capsys)
    assert [(d["id"], d["recipient"], d["status"], d["tries"]) for d in every] == [
        (chat, "chat", "pending", 0),
        (mail, "joon", "failed", 1),
    ]
    assert every[1]["event"] == "review_requested" and every[1]["last_error"] == REFUSED
    assert every[1]["sent_at"] is None
    assert [d["id"] for d in listed(["--failed"], capsys)] == [mail]
    assert [d["id"] for d in listed(["--limit", "1"], capsys)] == [chat]

    run(["notifications", "--failed"])
    plain = capsys.readouterr().out
    assert f"notification {mail} · review_requested to joon: failed" in plain
    assert "1 try" in plain and REFUSED in plain and "chat" not in plain


def test_nothing_listed_is_said_so(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    run(["notifications"])
    assert capsys.readouterr().out.strip() == "No notifications yet."
    run(["notifications", "--failed"])
    assert capsys.readouterr().out.strip() == "No failed notifications."


def test_a_retried_delivery_is_sent_by_the_next_round(
    database: Database, config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    mail, _ = given_up_and_pending(database)
    capsys.readouterr()
    run(["notifications", "retry", str(mail), "--as", "hana"])
    said = capsys.readouterr().out
    assert said.strip() == f"Notification {mail} (review_requested to joon) is pending again."
    assert [d["status"] for d in listed(["--failed"], capsys)] == []

    mailbox = Mailbox()
    mailbox.start()
    try:
        notify(database, notifying(config, smtp_port=mailbox.port))
    finally:
        mailbox.stop()
    (message,) = mailbox.to("joon@example.org")
    assert message["Subject"].startswith("Waiting for your review")
    (sent,) = [d for d in listed([], capsys) if d["id"] == mail]
    assert (sent["status"], sent["tries"], sent["sent_at"] is not None) == ("sent", 2, True)


def test_only_a_failed_delivery_is_retried_and_only_by_an_admin(
    database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    mail, chat = given_up_and_pending(database)
    assert "mina is an author and may not see and retry notifications" in fails(
        ["notifications", "retry", str(mail), "--as", "mina"], capsys
    )
    assert f"notification {chat} is pending, not failed" in fails(
        ["notifications", "retry", str(chat), "--as", "hana"], capsys
    )
    assert "no notification delivery has the id 999" in fails(
        ["notifications", "retry", "999", "--as", "hana"], capsys
    )
    assert [d["id"] for d in listed(["--failed"], capsys)] == [mail]
