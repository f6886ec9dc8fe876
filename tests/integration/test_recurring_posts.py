"""Recurring posts (issue 14 point 1): a draft file's ``repeat`` rule, its occurrences on the wall
clock of the configured zone, the command line that shows, schedules and skips them, and a
series published by the daemon on the sandbox and then edited.

Times are far ahead (2031) so that every check reads them as future whatever day the tests
run; where the present matters (the daemon, an approval after the first occurrence), a clock
set by the test stands for it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from drafts.authoring import add_draft, draft_posts, edit_draft, get_draft
from drafts.config import Config
from drafts.draft_file import DraftContent, read_draft_file
from drafts.errors import DraftError, ScheduleError
from drafts.lifecycle import DraftStatus, PostStatus
from drafts.models import Attempt, Post, User
from drafts.queueing import skip_occurrence
from drafts.rendering import TemplateLibrary
from drafts.review import approve, submit
from drafts.storage import Database
from drafts.users import Role, add_user
from scheduler.sandbox import RunningSandbox
from tests.conftest import TEST_CONFIG, make_config
from tests.fakes import Clock
from tests.integration.command_line import as_json, fails, printed, run, use_folder
from tests.integration.publishing import drain, sandbox_config

# The weekly post of the issue: Mondays at 09:00 from 3 March 2031, eight times.
WEEKLY = "FREQ=WEEKLY;BYDAY=MO;COUNT=8"
FIRST = "2031-03-03 09:00"
BEFORE = datetime(2031, 1, 1, tzinfo=UTC)  # "now" for the checks that compare with it
TEMPLATE = "City of the week no. {{ occurrence }}, {{ occurrence_date.isoformat() }}: {{ city }}\n"


def zoned(zone: str, base: str = TEST_CONFIG) -> str:
    """``base`` with its [tidings] timezone set to ``zone`` and a templates folder beside it."""
    return base.replace(
        'timezone = "Asia/Seoul"', f'timezone = "{zone}"\ntemplates = "templates"', 1
    )


def draft_file(
    *,
    repeat: str | None = WEEKLY,
    publish_at: str = FIRST,
    channels: tuple[str, ...] = ("linkedin",),
    city: str | None = "Busan",
    text: str | None = None,
    extra: str = "",
) -> str:
    """A draft on ``channels`` in English repeating by ``repeat`` (None: once): through the weekly template
    with ``city``, or with a free ``text``."""
    lines = [
        'kind = "update"',
        'title = "City of the week"',
        f"channels = {json.dumps(list(channels))}",
        'languages = ["en"]',
        f"publish_at = {json.dumps(publish_at)}",
        f"repeat = {json.dumps(repeat)}" if repeat is not None else "",
        extra,
    ]
    if text is not None:
        lines += ["[text]", f"en = {json.dumps(text)}"]
    else:
        lines += ['template = "weekly"', "[fields]", f"city = {json.dumps(city)}"]
    return "\n".join(lines) + "\n"


def write_template(folder: Path) -> Path:
    templates = folder / "templates"
    templates.mkdir(exist_ok=True)
    (templates / "weekly.en.txt.j2").write_text(TEMPLATE, encoding="utf-8")
    return templates


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# --- occurrences on the wall clock --------------------------------------------------------

# Mondays at 09:00 from 3 March 2031 (Berlin moves to summer time on 30 March, New York on
# 9 March), and the 15th at 09:00 from September (back to winter time on 26 October in
# Berlin, 2 November in New York). Seoul keeps one offset all year.
DST_TABLE = [
    (
        "Europe/Berlin",
        "FREQ=WEEKLY;BYDAY=MO;COUNT=6",
        "2031-03-03 09:00",
        ["03-03 08:00", "03-10 08:00", "03-17 08:00", "03-24 08:00", "03-31 07:00", "04-07 07:00"],
    ),
    (
        "America/New_York",
        "FREQ=WEEKLY;BYDAY=MO;COUNT=6",
        "2031-03-03 09:00",
        ["03-03 14:00", "03-10 13:00", "03-17 13:00", "03-24 13:00", "03-31 13:00", "04-07 13:00"],
    ),
    (
        "Asia/Seoul",
        "FREQ=WEEKLY;BYDAY=MO;COUNT=6",
        "2031-03-03 09:00",
        ["03-03 00:00", "03-10 00:00", "03-17 00:00", "03-24 00:00", "03-31 00:00", "04-07 00:00"],
    ),
    (
        "Europe/Berlin",
        "FREQ=MONTHLY;BYMONTHDAY=15;COUNT=4",
        "2031-09-15 09:00",
        ["09-15 07:00", "10-15 07:00", "11-15 08:00", "12-15 08:00"],
    ),
    (
        "America/New_York",
        "FREQ=MONTHLY;BYMONTHDAY=15;COUNT=4",
        "2031-09-15 09:00",
        ["09-15 13:00", "10-15 13:00", "11-15 14:00", "12-15 14:00"],
    ),
    (
        "Asia/Seoul",
        "FREQ=MONTHLY;BYMONTHDAY=15;COUNT=4",
        "2031-09-15 09:00",
        ["09-15 00:00", "10-15 00:00", "11-15 00:00", "12-15 00:00"],
    ),
]


def read_series(zone: str, source: str) -> DraftContent:
    return read_draft_file(source, "draft.toml", make_config(zoned(zone)), BEFORE)


@pytest.mark.parametrize(
    ("zone", "rule", "first", "in_utc"),
    DST_TABLE,
    ids=[f"{z}-{r.split(';')[0][5:]}" for z, r, *_ in DST_TABLE],
)
def test_each_occurrence_keeps_its_wall_clock_time_across_daylight_saving(
    zone: str, rule: str, first: str, in_utc: list[str]
) -> None:
    content = read_series(zone, draft_file(repeat=rule, publish_at=first))
    times = [each.at for each in content.occurrences]
    assert all(at is not None for at in times)
    local = [at.astimezone(ZoneInfo(zone)) for at in times if at is not None]
    assert {f"{at:%H:%M}" for at in local} == {"09:00"}
    assert [f"{at.astimezone(UTC):%m-%d %H:%M}" for at in local] == in_utc
    assert [each.number for each in content.occurrences] == list(range(1, len(in_utc) + 1))


@pytest.mark.parametrize(
    ("until", "count"),
    [
        ("20310317", 3),  # a date: the whole day counts
        ("20310317T130000Z", 3),  # 09:00 in New York that day (summer time): the third is in
        ("20310317T125959Z", 2),  # a second earlier: it is not (as a local time it would be)
    ],
)
def test_until_is_a_date_or_a_utc_time(until: str, count: int) -> None:
    rule = f"FREQ=WEEKLY;BYDAY=MO;UNTIL={until}"
    content = read_series("America/New_York", draft_file(repeat=rule))
    assert len(content.occurrences) == count


def test_a_series_under_way_may_be_read_but_not_one_whose_every_occurrence_passed() -> None:
    source = draft_file(repeat="FREQ=WEEKLY;BYDAY=MO;COUNT=3")
    config = make_config(zoned("Europe/Berlin"))
    # Its first occurrence gone by, the series is still read (as an edit of it is).
    under_way = read_draft_file(source, "draft.toml", config, datetime(2031, 3, 12, tzinfo=UTC))
    assert len(under_way.occurrences) == 3
    with pytest.raises(DraftError) as refused:
        read_draft_file(source, "draft.toml", config, datetime(2031, 3, 18, tzinfo=UTC))
    assert str(refused.value) == "draft.toml: publish_at: 2031-03-03 09:00 is in the past"


# --- refusals -----------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder on SQLite in Berlin with the weekly template, mina and joon."""
    use_folder(tmp_path, monkeypatch, zoned("Europe/Berlin").replace("unused.db", "tidings.db"))
    write_template(tmp_path)
    run(["init"])
    run(["user", "add", "mina", "--role", "author"])
    run(["user", "add", "joon", "--role", "reviewer"])
    return tmp_path


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"repeat": "FREQ=WEEKLY;BYDAY=MO"}, "repeat: needs COUNT or UNTIL: a series must end"),
        ({"repeat": "FREQ=DAILY;COUNT=367"}, "repeat: yields more than 366 occurrences"),
        (
            {"repeat": "FREQ=WEEKLY;INTERVAL=0;COUNT=3"},
            "repeat: INTERVAL must be a whole number from 1",
        ),
        ({"repeat": "FREQ=WEEKLY;COUNT=-2"}, "repeat: COUNT must be a whole number from 1"),
        (
            {"repeat": "every blue moon"},
            "repeat: EVERY BLUE MOON is not NAME=VALUE (a rule reads like FREQ=WEEKLY;COUNT=8)",
        ),
        (
            {"repeat": "FREQ=WEEKLY;COUNT=3;UNTIL=20310401"},
            "repeat: give COUNT or UNTIL, not both (RFC 5545)",
        ),
        (
            {"publish_at": "2031-03-04 09:00"},
            "repeat: publish_at must be its first occurrence (the rule's first is "
            "2031-03-10 09:00)",
        ),
        (
            {"repeat": "FREQ=DAILY;COUNT=3;BYHOUR=9"},
            "repeat: BYHOUR: the time of day is publish_at's",
        ),
        ({"publish_at": "next-slot"}, "repeat: needs publish_at as a date and time, not next-slot"),
        (
            {"extra": 'expires_at = "2031-04-01"'},
            "repeat: its last occurrence (2031-04-21 09:00) is not before expires_at",
        ),
    ],
    ids=[
        "no-end",
        "over-366",
        "interval-0",
        "count-negative",
        "not-a-rule",
        "count-and-until",
        "not-first",
        "byhour",
        "next-slot",
        "after-expiry",
    ],
)
def test_a_rule_that_cannot_be_is_one_line_naming_repeat_and_nothing_is_added(
    folder: Path, changes: dict[str, str], problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "draft.toml").write_text(draft_file(**changes), encoding="utf-8")  # type: ignore[arg-type]
    line = fails(["draft", "add", "draft.toml", "--as", "mina"], capsys)
    assert line == f"error: draft.toml: {problem}"
    assert as_json(["draft", "list"], capsys) == []


# --- templates, show and JSON -------------------------------------------------------------


def test_templates_get_each_occurrence_and_its_date_and_show_says_each(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "draft.toml").write_text(draft_file(), encoding="utf-8")
    added = as_json(["draft", "add", "draft.toml", "--as", "mina"], capsys)
    assert added["repeat"] == WEEKLY
    texts = [(post["occurrence"], post["text"]) for post in added["posts"]]
    assert texts[0] == (1, "City of the week no. 1, 2031-03-03: Busan")
    assert texts[4] == (5, "City of the week no. 5, 2031-03-31: Busan")
    assert [number for number, _ in texts] == list(range(1, 9))

    shown = printed(["draft", "show", str(added["id"])], capsys)
    assert f"repeat: {WEEKLY} (8 occurrences)" in shown
    lines = [" ".join(line.split()) for line in shown.splitlines()]
    assert "4 Mon 2031-03-24 09:00 CET 1 pending" in lines
    assert "5 Mon 2031-03-31 09:00 CEST 1 pending" in lines  # summer time: still 09:00
    assert "occurrence 1 · Mon 2031-03-03 09:00 CET · pending" in shown
    assert "City of the week no. 1, 2031-03-03: Busan" in shown  # the first in full
    # Each later one as it differs from the first: every text can be read back.
    assert "occurrence 8 · Mon 2031-04-21 09:00 CEST" in shown
    assert "City of the week no. [-1-]{+8+}, 2031-[-03-]{+04+}-[-03-]{+21+}: Busan" in shown
    assert "City of the week no. 8, 2031-04-21: Busan" not in shown

    every = printed(["draft", "show", str(added["id"]), "--all"], capsys)
    for _, text in texts:
        assert text in every
    assert "occurrence 8 · Mon 2031-04-21 09:00 CEST · pending" in every


# --- review, queue and skip, on both databases --------------------------------------------


@pytest.fixture
def workdir(database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder whose config.toml (Berlin, the weekly template) is on the test's database."""
    use_folder(
        tmp_path, monkeypatch, zoned("Europe/Berlin").replace("sqlite:///unused.db", database.url)
    )
    write_template(tmp_path)
    run(["user", "add", "mina", "--role", "author"])
    run(["user", "add", "joon", "--role", "reviewer"])
    return tmp_path


def approved_series(folder: Path, capsys: pytest.CaptureFixture[str], **file: str) -> int:
    """A series added by mina, sent to review and approved by joon: its draft id."""
    (folder / "series.toml").write_text(draft_file(**file), encoding="utf-8")  # type: ignore[arg-type]
    added = as_json(["draft", "add", "series.toml", "--as", "mina"], capsys)
    run(["submit", str(added["id"]), "--as", "mina"])
    run(["approve", str(added["id"]), "--as", "joon"])
    return int(added["id"])


def occurrence_states(
    draft_id: int, capsys: pytest.CaptureFixture[str]
) -> list[tuple[int, str, str | None]]:
    shown = as_json(["draft", "show", str(draft_id)], capsys)
    return [(post["occurrence"], post["status"], post["due_at"]) for post in shown["posts"]]


def test_an_approved_series_is_queued_at_every_occurrence(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    draft_id = approved_series(workdir, capsys)
    queued = as_json(["queue"], capsys)
    due = [(post["occurrence"], utc(post["due_at"])) for post in queued]
    berlin = ZoneInfo("Europe/Berlin")
    expected = [
        (
            number,
            datetime(2031, 3, 3, 9, tzinfo=berlin).astimezone(UTC) + timedelta(weeks=number - 1),
        )
        for number in range(1, 9)
    ]
    # From 31 March the same 09:00 is an hour earlier in UTC.
    expected = [(n, at - timedelta(hours=1) if n >= 5 else at) for n, at in expected]
    assert due == expected
    table = printed(["queue"], capsys)
    assert "(3/8)" in table and "(8/8)" in table

    # Scheduling a series again takes no time: its posts go at their occurrences.
    printed(["schedule", str(draft_id), "--as", "mina"], capsys)
    assert [(p["occurrence"], utc(p["due_at"])) for p in as_json(["queue"], capsys)] == expected
    for moving in (["--next-slot"], ["--at", "now"], ["--at", "2031-03-04 10:00"]):
        line = fails(["schedule", str(draft_id), *moving, "--as", "mina"], capsys)
        assert line == (
            f"error: draft {draft_id} repeats: its posts go out at their occurrences; to move "
            "them, edit its publish_at or repeat"
        )
    assert [(p["occurrence"], utc(p["due_at"])) for p in as_json(["queue"], capsys)] == expected
    # A draft that does not repeat still needs a time.
    (workdir / "once.toml").write_text(draft_file(repeat=None), encoding="utf-8")
    once = as_json(["draft", "add", "once.toml", "--as", "mina"], capsys)
    line = fails(["schedule", str(once["id"]), "--as", "mina"], capsys)
    assert line == "error: give either --at TIME or --next-slot"


def test_draft_skip_drops_one_occurrence_and_the_last_one_ends_the_draft(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    draft_id = approved_series(workdir, capsys, repeat="FREQ=WEEKLY;BYDAY=MO;COUNT=3")
    said = printed(["draft", "skip", str(draft_id), "--on", "2031-03-10", "--as", "mina"], capsys)
    assert said.splitlines() == [
        f"Draft {draft_id}: occurrence 2 (Mon 2031-03-10 09:00 CET) skipped: linkedin (en) will "
        "not be published.",
        "2 occurrence(s) still scheduled; the next: occurrence 1 · Mon 2031-03-03 09:00 CET.",
    ]
    states = occurrence_states(draft_id, capsys)
    assert [(number, status) for number, status, _ in states] == [
        (1, "scheduled"),
        (2, "skipped"),
        (3, "scheduled"),
    ]
    assert states[2][2] == "2031-03-17T08:00:00+00:00"  # the rest keep their times
    assert [post["occurrence"] for post in as_json(["queue"], capsys)] == [1, 3]

    skip = ["draft", "skip", str(draft_id), "--as", "mina", "--on"]
    assert fails([*skip, "2031-03-10"], capsys) == (
        f"error: draft {draft_id}: its occurrence on 2031-03-10 is already skipped"
    )
    assert fails([*skip, "2031-03-11"], capsys) == (
        f"error: on: draft {draft_id} has no occurrence on 2031-03-11"
    )
    assert fails([*skip, "10/03/2031"], capsys) == (
        "error: on: '10/03/2031' is not a date such as 2027-03-29 (YYYY-MM-DD)"
    )
    assert fails([*skip, "20310310"], capsys).startswith("error: on: '20310310' is not a date")

    skipped = as_json([*skip, "2031-03-03"], capsys)
    assert (skipped["occurrence"], skipped["status"], skipped["scheduled_occurrences"]) == (
        1,
        "scheduled",
        [3],
    )
    said = printed([*skip, "2031-03-17"], capsys)
    assert said.splitlines()[-1] == f"No occurrence is still scheduled: draft {draft_id} is done."
    assert {status for _, status, _ in occurrence_states(draft_id, capsys)} == {"skipped"}
    assert printed(["queue"], capsys) == "Nothing is queued.\n"


# --- the X duplicate check ----------------------------------------------------------------


def test_a_series_that_would_send_one_text_twice_to_x_is_refused_at_submit(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    same = draft_file(channels=("linkedin", "x-en"), text="Our city of the week is Busan.")
    (folder / "same.toml").write_text(same, encoding="utf-8")
    run(["draft", "add", "same.toml", "--as", "mina"])
    line = fails(["submit", "1", "--as", "mina"], capsys)
    assert line == (
        "error: draft 1 cannot be submitted: x-en (en): occurrences 1 and 2 would send the same "
        "text, which X refuses; write the draft with a template that uses {{ occurrence }} or "
        "{{ occurrence_date }} so that each occurrence differs"
    )
    # LinkedIn takes a text twice: only X's posts are the problem.
    (folder / "linkedin.toml").write_text(
        draft_file(text="Our city of the week is Busan."), encoding="utf-8"
    )
    run(["draft", "add", "linkedin.toml", "--as", "mina"])
    run(["submit", "2", "--as", "mina"])
    # Through a template that names each occurrence's date, every X text differs.
    (folder / "dated.toml").write_text(draft_file(channels=("linkedin", "x-en")), encoding="utf-8")
    run(["draft", "add", "dated.toml", "--as", "mina"])
    run(["submit", "3", "--as", "mina"])
    assert [each["status"] for each in as_json(["draft", "list"], capsys)] == ["in_review"] * 2 + [
        "draft"
    ]


# --- the daemon on the sandbox, then an edit ----------------------------------------------


@pytest.fixture
def people(database: Database) -> tuple[User, User]:
    with database.writing() as session:
        mina = add_user(session, name="mina", role=Role.AUTHOR, password_hash=None, actor=None)
        joon = add_user(session, name="joon", role=Role.REVIEWER, password_hash=None, actor=None)
    return mina, joon


@pytest.fixture
def weekly_library(tmp_path: Path) -> TemplateLibrary:
    return TemplateLibrary.default([write_template(tmp_path)])


@pytest.fixture
def daily(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> Config:
    """The sandbox's Mastodon account (Asia/Seoul)."""
    return sandbox_config(sandbox.base_url, monkeypatch)


SEOUL = ZoneInfo("Asia/Seoul")
DAY_ONE = datetime(2031, 3, 3, 9, tzinfo=SEOUL)


def mastodon_series(config: Config, city: str, now: datetime) -> DraftContent:
    source = draft_file(
        repeat="FREQ=DAILY;COUNT=3",
        publish_at="2031-03-03 09:00",
        channels=("mastodon",),
        city=city,
    )
    return read_draft_file(source, "draft.toml", config, now)


def attempt_count(database: Database, post_id: int) -> int:
    with database.reading() as session:
        return len(list(session.exec(select(Attempt).where(Attempt.post_id == post_id))))


def approved_draft(
    database: Database,
    content: DraftContent,
    people: tuple[User, User],
    config: Config,
    library: TemplateLibrary,
    now: datetime,
) -> int:
    """A draft of ``content`` written by the first of ``people``, approved by the second."""
    author, reviewer = people
    with database.writing() as session:
        draft = add_draft(session, content=content, author=author, config=config, library=library)
        draft_id = draft.id or 0
        submit(session, draft_id=draft_id, actor=author, config=config)
        approve(session, draft_id=draft_id, reviewer=reviewer, comment="", config=config, now=now)
    return draft_id


def stored(database: Database, draft_id: int) -> list[Post]:
    with database.reading() as session:
        return sorted(draft_posts(session, draft_id), key=lambda post: post.occurrence)


def test_the_daemon_publishes_the_first_occurrence_and_an_edit_leaves_it_alone(
    database: Database,
    daily: Config,
    weekly_library: TemplateLibrary,
    sandbox: RunningSandbox,
    people: tuple[User, User],
) -> None:
    mina, joon = people
    clock = Clock(BEFORE)
    series = mastodon_series(daily, "Busan", clock())
    draft_id = approved_draft(database, series, people, daily, weekly_library, clock())

    clock.now = DAY_ONE + timedelta(seconds=1)  # the first occurrence is due, the others not
    drain(database, daily, now=clock)
    first, second, third = stored(database, draft_id)
    assert first.status == PostStatus.PUBLISHED and first.remote_id
    assert [post.text for post in sandbox.state.posts("mastodon")] == [
        "City of the week no. 1, 2031-03-03: Busan"
    ]
    assert (second.status, third.status) == (PostStatus.SCHEDULED, PostStatus.SCHEDULED)
    with database.writing() as session, pytest.raises(ScheduleError) as refused:
        skip_occurrence(session, draft_id=draft_id, day=date(2031, 3, 3), actor=mina, config=daily)
    assert (
        str(refused.value) == f"draft {draft_id}: its occurrence on 2031-03-03 is already published"
    )

    with database.writing() as session:
        outcome = edit_draft(
            session,
            draft_id=draft_id,
            content=mastodon_series(daily, "Daegu", clock()),
            editor=mina,
            config=daily,
            library=weekly_library,
        )
    assert outcome.back_to_review and outcome.draft.status == DraftStatus.IN_REVIEW
    after = stored(database, draft_id)
    assert (after[0].id, after[0].text, after[0].status, after[0].remote_id) == (
        first.id,
        first.text,
        PostStatus.PUBLISHED,
        first.remote_id,
    )
    assert attempt_count(database, first.id or 0) == 1
    assert [(post.text, post.status, post.due_at) for post in after[1:]] == [
        ("City of the week no. 2, 2031-03-04: Daegu", PostStatus.PENDING, None),
        ("City of the week no. 3, 2031-03-05: Daegu", PostStatus.PENDING, None),
    ]

    with database.writing() as session:  # back in review: one approval covers the rest
        approve(session, draft_id=draft_id, reviewer=joon, comment="", config=daily, now=clock())
    again = stored(database, draft_id)
    assert [(post.status, post.due_at) for post in again] == [
        (PostStatus.PUBLISHED, first.due_at),
        (PostStatus.SCHEDULED, (DAY_ONE + timedelta(days=1)).astimezone(UTC)),
        (PostStatus.SCHEDULED, (DAY_ONE + timedelta(days=2)).astimezone(UTC)),
    ]
    clock.now = DAY_ONE + timedelta(days=1, seconds=1)
    drain(database, daily, now=clock)
    assert [post.text for post in sandbox.state.posts("mastodon")] == [
        "City of the week no. 1, 2031-03-03: Busan",
        "City of the week no. 2, 2031-03-04: Daegu",
    ]
    assert attempt_count(database, first.id or 0) == 1  # never sent again


def test_a_series_approved_after_its_first_occurrence_skips_it_and_schedules_the_rest(
    database: Database,
    daily: Config,
    weekly_library: TemplateLibrary,
    people: tuple[User, User],
) -> None:
    mina, joon = people
    with database.writing() as session:
        draft = add_draft(
            session,
            content=mastodon_series(daily, "Busan", BEFORE),
            author=mina,
            config=daily,
            library=weekly_library,
        )
        draft_id = draft.id or 0
        submit(session, draft_id=draft_id, actor=mina, config=daily)
        late = DAY_ONE + timedelta(hours=1)
        approve(session, draft_id=draft_id, reviewer=joon, comment="", config=daily, now=late)
        assert get_draft(session, draft_id).status == DraftStatus.SCHEDULED
    first, second, third = stored(database, draft_id)
    assert first.status == PostStatus.SKIPPED
    assert first.reason == "its time passed before the draft was scheduled"
    assert [(post.status, post.due_at) for post in (second, third)] == [
        (PostStatus.SCHEDULED, (DAY_ONE + timedelta(days=1)).astimezone(UTC)),
        (PostStatus.SCHEDULED, (DAY_ONE + timedelta(days=2)).astimezone(UTC)),
    ]


def test_a_repeating_draft_needs_its_first_time(daily: Config) -> None:
    with pytest.raises(DraftError) as refused:
        read_draft_file(
            draft_file(channels=("mastodon",)).replace(f'publish_at = "{FIRST}"\n', ""),
            "draft.toml",
            daily,
            BEFORE,
        )
    assert "publish_at" in str(refused.value)


def test_skip_is_in_the_draft_commands_help(capsys: pytest.CaptureFixture[str]) -> None:
    listed = printed(["draft", "--help"], capsys)
    assert "skip  Drop one occurrence of a repeating draft" in listed


def test_the_changes_since_approval_name_each_occurrence(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    draft_id = approved_series(folder, capsys, repeat="FREQ=WEEKLY;BYDAY=MO;COUNT=2")
    (folder / "edited.toml").write_text(
        draft_file(repeat="FREQ=WEEKLY;BYDAY=MO;COUNT=2", city="Daegu"), encoding="utf-8"
    )
    run(["draft", "edit", str(draft_id), "edited.toml", "--as", "mina"])
    shown = printed(["draft", "show", str(draft_id)], capsys)
    changes = shown.split("Changed since joon approved it")[1].splitlines()[1:]
    assert changes == [
        "  occurrence 1 · en · linkedin: text changed",
        "    City of the week no. 1, 2031-03-03: [-Busan-]{+Daegu+}",
        "  occurrence 2 · en · linkedin: text changed",
        "    City of the week no. 2, 2031-03-10: [-Busan-]{+Daegu+}",
    ]


HARBOUR = {"en": "Harbour cleanup, every morning this week", "ko": "이번 주 매일 아침 항구 청소"}


def harbour_series(
    config: Config, channels: list[str], languages: list[str], now: datetime
) -> DraftContent:
    lines = [
        'kind = "update"',
        'title = "Harbour cleanup"',
        f"channels = {json.dumps(channels)}",
        f"languages = {json.dumps(languages)}",
        'publish_at = "2031-03-03 09:00"',
        'repeat = "FREQ=DAILY;COUNT=3"',
        "[text]",
        *(f"{language} = {json.dumps(HARBOUR[language])}" for language in languages),
    ]
    return read_draft_file("\n".join(lines) + "\n", "draft.toml", config, now)


@pytest.mark.parametrize(
    ("before", "after", "gone"),
    [
        ((["mastodon"], ["en", "ko"]), (["mastodon"], ["en"]), ("mastodon", "ko")),
        ((["mastodon", "mastodon-b"], ["en"]), (["mastodon"], ["en"]), ("mastodon-b", "en")),
    ],
    ids=["a language", "a channel"],
)
def test_what_is_taken_out_of_a_series_keeps_its_published_posts(
    database: Database,
    daily: Config,
    weekly_library: TemplateLibrary,
    sandbox: RunningSandbox,
    people: tuple[User, User],
    before: tuple[list[str], list[str]],
    after: tuple[list[str], list[str]],
    gone: tuple[str, str],
) -> None:
    """A language or a channel is taken out of a series after its first occurrence went out:
    that post and its attempt stay as they went (they were deleted with the variant they
    came from), the posts not out yet are gone, and the series, approved again, goes on."""
    mina, joon = people
    clock = Clock(BEFORE)
    series = harbour_series(daily, *before, clock())
    draft_id = approved_draft(database, series, people, daily, weekly_library, clock())
    clock.now = DAY_ONE + timedelta(seconds=1)
    drain(database, daily, now=clock)
    [out] = [
        p for p in stored(database, draft_id) if (p.channel, p.language) == gone and p.remote_id
    ]
    with database.writing() as session:
        edit_draft(
            session,
            draft_id=draft_id,
            content=harbour_series(daily, *after, clock()),
            editor=mina,
            config=daily,
            library=weekly_library,
        )
    left = [p for p in stored(database, draft_id) if (p.channel, p.language) == gone]
    assert [(p.id, p.status, p.remote_id) for p in left] == [
        (out.id, PostStatus.PUBLISHED, out.remote_id)
    ]
    assert attempt_count(database, out.id or 0) == 1
    with database.writing() as session:  # approved again, the rest of the series goes out
        approve(session, draft_id=draft_id, reviewer=joon, comment="", config=daily, now=clock())
    clock.now = DAY_ONE + timedelta(days=1, seconds=1)
    drain(database, daily, now=clock)
    assert [p.status for p in stored(database, draft_id) if p.occurrence == 2] == [
        PostStatus.PUBLISHED
    ]
