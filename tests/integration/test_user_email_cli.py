"""``tidings user``: a user's e-mail address, timezone and notification events on the command
line; a bad address, zone or event is one line naming its field, exit status 1, nothing changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.command_line import fails, run, snapshot, use_folder


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_folder(tmp_path, monkeypatch)
    run(["init"])
    run(["user", "add", "hana", "--role", "admin"])
    run(["user", "add", "mina", "--role", "author", "--email", "mina@example.org", "--as", "hana"])
    run(["user", "add", "joon", "--role", "reviewer", "--as", "hana"])
    return tmp_path


def shown(args: list[str], capsys: pytest.CaptureFixture[str]) -> object:
    capsys.readouterr()
    run(["--json", *args])
    return json.loads(capsys.readouterr().out)


def test_add_set_and_list_a_users_address_and_timezone(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(
        [
            "user",
            "set",
            "joon",
            "--email",
            "joon@example.org",
            "--timezone",
            "Asia/Seoul",
            "--as",
            "joon",
        ]
    )
    run(["user", "set", "mina", "--timezone", "Europe/Berlin", "--as", "hana"])
    users = shown(["user", "list"], capsys)
    assert [(u["name"], u["email"], u["timezone"]) for u in users] == [  # type: ignore[attr-defined]
        ("hana", None, None),
        ("joon", "joon@example.org", "Asia/Seoul"),
        ("mina", "mina@example.org", "Europe/Berlin"),
    ]
    capsys.readouterr()
    run(["user", "list"])
    assert "mina                 author    mina@example.org" in capsys.readouterr().out

    run(["user", "set", "mina", "--email", "", "--as", "mina"])  # an empty value removes it
    assert shown(["user", "set", "mina", "--timezone", "UTC", "--as", "mina"], capsys) == {
        "name": "mina",
        "email": None,
        "timezone": "UTC",
    }


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--email", "mina at example.org"], "email: 'mina at example.org' is not an e-mail"),
        (["--email", "a@b@example.org"], "email: 'a@b@example.org' is not an e-mail address"),
        (["--email", "mina@example.org\nBcc: all@example.org"], "email: 'mina@example.org\\nBcc"),
        (["--email", "m" * 320 + "@example.org"], "email: use at most 320 characters"),
        (["--timezone", "Asia/Busan"], "timezone: 'Asia/Busan' is not an IANA timezone"),
        ([], "say what to change: --email ADDR, --timezone ZONE, or both"),
    ],
)
def test_a_bad_address_or_zone_is_one_line_and_changes_nothing(
    workdir: Path, capsys: pytest.CaptureFixture[str], args: list[str], line: str
) -> None:
    before = snapshot(workdir)
    assert fails(["user", "set", "mina", *args, "--as", "hana"], capsys).startswith(
        f"error: {line}"
    )
    assert snapshot(workdir) == before


def test_a_bad_address_refuses_the_new_user(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(workdir)
    line = fails(
        ["user", "add", "ara", "--role", "author", "--email", "ara@", "--as", "hana"], capsys
    )
    assert (
        line
        == "error: email: 'ara@' is not an e-mail address (one @ and no spaces: name@example.org)"
    )
    assert snapshot(workdir) == before


def test_only_the_user_or_an_admin_changes_their_settings(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(workdir)
    line = fails(["user", "set", "mina", "--email", "joon@example.org", "--as", "joon"], capsys)
    assert line == "error: joon is a reviewer and may not manage users"
    assert fails(["user", "notify", "mina", "--off", "approved", "--as", "joon"], capsys) == line
    assert snapshot(workdir) == before


def test_events_are_turned_off_and_on_among_those_the_role_receives(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert shown(["user", "notify", "mina"], capsys) == {
        "name": "mina",
        "receives": ["changes_requested", "approved", "post_failed"],
        "off": [],
    }
    run(["user", "notify", "mina", "--off", "approved", "--off", "post_failed", "--as", "mina"])
    assert shown(["user", "notify", "mina", "--on", "post_failed", "--as", "mina"], capsys) == {
        "name": "mina",
        "receives": ["changes_requested", "post_failed"],
        "off": ["approved"],
    }
    capsys.readouterr()
    run(["user", "notify", "mina"])
    assert capsys.readouterr().out.strip() == (
        "mina is notified at mina@example.org of: changes_requested, post_failed; "
        "turned off: approved."
    )

    before = snapshot(workdir)
    assert fails(["user", "notify", "joon", "--off", "post_failed", "--as", "joon"], capsys) == (
        "error: events: reviewer users do not receive post_failed; they receive review_requested"
    )
    assert fails(["user", "notify", "mina", "--off", "failed", "--as", "mina"], capsys) == (
        "error: events: 'failed' is not one of review_requested, changes_requested, approved, "
        "post_failed, credential_expiring, credential_refresh_failed"
    )
    assert fails(
        ["user", "notify", "mina", "--on", "approved", "--off", "approved", "--as", "mina"], capsys
    ) == ("error: events: approved cannot be both --on and --off")
    assert snapshot(workdir) == before
