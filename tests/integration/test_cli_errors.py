"""Bad input on the command line: one clear line naming the field, exit status 1, no change."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from drafts.config import load_config
from drafts.storage import Database
from scheduler.vault import Sealer
from tests.conftest import TEST_CONFIG
from tests.integration.command_line import GOOD, fails, run, snapshot, use_folder
from tests.integration.connected import connect
from tidings.cli import hoist_global_options


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_folder(tmp_path, monkeypatch)
    run(["init"])
    run(["user", "add", "mina", "--role", "author"])
    run(["user", "add", "joon", "--role", "reviewer"])
    (tmp_path / "good.toml").write_text(GOOD, encoding="utf-8")
    run(["draft", "add", "good.toml", "--as", "mina"])
    return tmp_path


def hiring(**changed: str) -> str:
    """A hiring draft file whose fields are as written here, but for ``changed`` (TOML)."""
    fields = {
        "position": '"P"',
        "location": '"L"',
        "deadline": "2099-12-01",
        "link": '"https://example.org"',
        **changed,
    }
    given = "".join(f"{name} = {value}\n" for name, value in fields.items())
    return (
        'kind = "hiring"\ntitle = "t"\ntemplate = "hiring"\nchannels = ["linkedin"]\n'
        f'languages = ["en"]\n[fields]\n{given}'
    )


DRAFT_ERRORS = [
    ('kind = "update"\ntitle = "x"\nchannels = ["linkedin"\n', "not valid TOML"),
    (
        GOOD.replace('["linkedin"]', '["linkdin"]'),
        "bad.toml: channels: unknown channel 'linkdin' (did you mean linkedin?)",
    ),
    (GOOD.replace("ko = ", "ja = "), "languages: no targeted channel takes ja"),
    (
        GOOD.replace('kind = "update"', 'kind = "tweetstorm"'),
        "bad.toml: kind: 'tweetstorm' is not a kind: update, hiring, event or post",
    ),
    (
        GOOD.replace('kind = "update"', 'kind = "upd"'),
        "kind: 'upd' is not a kind: update, hiring, event or post (did you mean update?)",
    ),
    (GOOD.replace("title", "titel"), "titel: unknown key"),
    (GOOD.replace('"Riverside park reopens"', '"   "'), "bad.toml: title: is empty"),
    (hiring(position="[1, 2]"), "fields.position: should be text, not a list or a table"),
    (hiring(location="{ en = { a = 1 } }"), "fields.location: should be text, not a list or a"),
    (hiring(location="true"), "fields.location: should be text, not a list or a table"),
    (hiring(hashtags="5"), 'fields.hashtags: should be a list of texts, such as ["a", "b"]'),
    (
        hiring(hashtags='["Hiring", "Zero Waste"]'),
        "fields.hashtags: 'Zero Waste' is not a hashtag: one word each, such as ZeroWaste",
    ),
    (hiring(deadline='"1 March"'), "fields.deadline: should be a date, such as 2027-03-01"),
    (
        'kind = "hiring"\ntitle = "t"\ntemplate = "hiring"\nchannels = ["linkedin"]\n'
        'languages = ["en"]\n[fields]\nposition = "P"\nlocation = "L"\n'
        'deadline = 2099-12-01\nlink = "https://example.org"\npostion = "typo"\n',
        "fields.postion: not used by template hiring (did you mean position?)",
    ),
    (
        'kind = "hiring"\ntitle = "t"\ntemplate = "hiring"\nchannels = ["linkedin"]\n'
        'languages = ["en"]\n[fields]\nposition = "P"\nlocation = "L"\n'
        'link = "https://example.org"\n',
        "fields.deadline: required by template hiring (en)",
    ),
    (GOOD + 'publish_at = "tomorrow-ish"\n', "publish_at"),
    (
        GOOD.replace("kind", 'publish_at = "2020-01-01 10:00"\nkind'),
        "publish_at: 2020-01-01 10:00 is in the past",
    ),
]


@pytest.mark.parametrize(("source", "expected"), DRAFT_ERRORS)
def test_bad_draft_files(
    workdir: Path, capsys: pytest.CaptureFixture[str], source: str, expected: str
) -> None:
    before = snapshot(workdir)
    (workdir / "bad.toml").write_text(source, encoding="utf-8")
    line = fails(["draft", "add", "bad.toml", "--as", "mina"], capsys)
    assert expected in line
    assert "bad.toml" in line
    assert snapshot(workdir) == before


ARGUMENT_ERRORS = [
    (["draft", "add", "missing.toml", "--as", "mina"], "missing.toml: no such file"),
    (["draft", "show", "99"], "no draft 99"),
    (["draft", "add", "good.toml", "--as", "nobody"], "unknown user 'nobody'"),
    (["draft", "add", "good.toml"], "--as NAME"),
    (["user", "add", "sam", "--role", "editor"], "role: 'editor' is not one of"),
    (["approve", "1", "--as", "joon"], "draft 1 is draft; approve needs"),
    (["submit", "1", "--as", "joon"], "joon is a reviewer and may not write drafts"),
    (["schedule", "1", "--at", "next tuesday", "--as", "mina"], "at: 'next tuesday' is not a time"),
    (["queue", "--tz", "Mars/Olympus"], "tz: 'Mars/Olympus' is not an IANA timezone"),
    (["queue", "--channel", "nope"], "unknown channel 'nope'"),
    (["queue", "--channel", "mastodn"], "unknown channel 'mastodn' (did you mean mastodon?)"),
    (["--config", "elsewhere.toml", "queue"], "elsewhere.toml: no configuration file here"),
    # Mistyped command lines: Click's complaint, as one line naming the command.
    (["draft", "show", "one"], "tidings draft show: Invalid value for 'ID'"),
    (["web", "--port", "http"], "tidings web: Invalid value for '--port'"),
    (["schedule", "1", "--nxt-slot", "--as", "mina"], "No such option: --nxt-slot"),
    (["shedule", "1"], "tidings: No such command 'shedule'"),
]


@pytest.mark.parametrize(("args", "expected"), ARGUMENT_ERRORS)
def test_bad_arguments(
    workdir: Path, capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    before = snapshot(workdir)
    assert expected in fails(args, capsys)
    assert snapshot(workdir) == before


def test_schedule_refuses_a_wall_time_that_daylight_saving_skips(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(["submit", "1", "--as", "mina"])
    run(["approve", "1", "--as", "joon"])
    before = snapshot(workdir)
    line = fails(["schedule", "1", "--at", "2099-03-29 02:30 Europe/Paris", "--as", "mina"], capsys)
    assert "does not exist in Europe/Paris" in line
    assert snapshot(workdir) == before


def test_a_broken_config_names_the_key(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "config.toml").write_text(
        TEST_CONFIG.replace('token_env = "TIDINGS_TEST_X_TOKEN"', 'token = "not-a-token"'),
        encoding="utf-8",
    )
    line = fails(["queue"], capsys)
    assert "channels[1] (x-en)" in line and "token" in line


CONFIG_ERRORS = [
    (
        ('platform = "mastodon"', 'platform = "mastadon"'),
        "config.toml: channels[3] (mastodon).platform: 'mastadon' is not a platform: linkedin, "
        "x, mastodon, bluesky, facebook, threads, telegram or webhook (did you mean mastodon?)",
    ),
    (
        ("max_characters = 500", 'visibility = "everyone"'),
        "config.toml: channels[3] (mastodon).visibility: 'everyone' is not a visibility: "
        "public, unlisted, private or direct",
    ),
    (
        ("allow_self_approval = false", 'allow_self_approval = "maybe"'),
        "config.toml: review.allow_self_approval: 'maybe' is not true or false",
    ),
    (
        ('timezone = "Asia/Seoul"', 'timezone = "Asia/Soul"'),
        "config.toml: tidings.timezone: 'Asia/Soul' is not an IANA timezone",
    ),
]


@pytest.mark.parametrize(("change", "expected"), CONFIG_ERRORS)
def test_a_config_value_outside_its_choices_is_named_with_them(
    workdir: Path, capsys: pytest.CaptureFixture[str], change: tuple[str, str], expected: str
) -> None:
    before = snapshot(workdir)
    config = workdir / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(*change, 1), encoding="utf-8")
    assert fails(["queue"], capsys).startswith(f"error: {expected}")
    assert snapshot(workdir) == before


def test_a_draft_file_with_three_problems_names_them_all_in_one_line(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(workdir)
    (workdir / "hiring.toml").write_text(
        GOOD.replace('kind = "update"', 'kind = "tweetstorm"\npublish_at = "tomorrow-ish"').replace(
            '["linkedin"]', '["linkdin"]'
        ),
        encoding="utf-8",
    )
    assert fails(["draft", "add", "hiring.toml", "--as", "mina"], capsys) == (
        "error: hiring.toml: 3 problems: "
        "kind: 'tweetstorm' is not a kind: update, hiring, event or post; "
        "channels: unknown channel 'linkdin' (did you mean linkedin?); "
        "publish_at: 'tomorrow-ish' is not a time such as '2026-12-01 10:00', "
        "'2026-12-01T10:00+09:00' or '+2h'"
    )
    assert fails(["draft", "edit", "1", "hiring.toml", "--as", "mina"], capsys).startswith(
        "error: hiring.toml: 3 problems: kind: 'tweetstorm'"
    )
    assert snapshot(workdir) == before


def test_run_refuses_to_start_without_the_vault_key_naming_the_channels_that_need_it(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TIDINGS_SECRET_KEY", raising=False)
    before = snapshot(workdir)
    assert fails(["run", "--drain"], capsys) == (
        "error: TIDINGS_SECRET_KEY: not set; channels x-en, x-ko, bluesky keep refreshed tokens "
        "in the vault and need it"
    )
    monkeypatch.setenv("TIDINGS_SECRET_KEY", "fifteen chars!!")
    assert fails(["run", "--drain"], capsys).startswith(
        "error: TIDINGS_SECRET_KEY: shorter than 16 characters; channels x-en, x-ko, bluesky"
    )
    assert snapshot(workdir) == before


def test_submit_warns_when_a_channel_lacks_the_vault_key_and_submits(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TIDINGS_SECRET_KEY", raising=False)
    (workdir / "everywhere.toml").write_text(
        GOOD.replace('["linkedin"]', '["linkedin", "x-en", "bluesky"]'), encoding="utf-8"
    )
    run(["draft", "add", "everywhere.toml", "--as", "mina"])
    capsys.readouterr()
    run(["submit", "2", "--as", "mina"])
    said = capsys.readouterr()
    assert said.out == "Draft 2 is in review.\n"
    assert said.err == (
        "warning: TIDINGS_SECRET_KEY: not set; channels x-en, bluesky keep refreshed tokens in "
        "the vault and need it\n"
    )
    run(["submit", "1", "--as", "mina"])  # LinkedIn keeps no tokens: nothing to say
    assert capsys.readouterr().err == ""


def test_submit_warns_when_a_connected_channel_lacks_the_vault_key(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(workdir / "config.toml")
    sealer = Sealer(secrets.token_urlsafe(32))
    connect(Database(config.database_url), config.channel("linkedin"), sealer=sealer)
    monkeypatch.delenv("TIDINGS_SECRET_KEY", raising=False)
    capsys.readouterr()
    run(["submit", "1", "--as", "mina"])
    assert capsys.readouterr().err == (
        "warning: TIDINGS_SECRET_KEY: not set; channel linkedin keeps tokens in the vault and "
        "needs it\n"
    )


def test_global_options_work_after_the_command() -> None:
    assert hoist_global_options(["approve", "3", "--as", "joon", "--json"]) == [
        "--as",
        "joon",
        "--json",
        "approve",
        "3",
    ]
    assert hoist_global_options(["queue", "--config=x.toml"]) == ["--config=x.toml", "queue"]


KOREAN_HIRING = """
kind = "hiring"
title = "Programme officer"
channels = ["linkedin", "x-ko"]
[text]
ko = \"\"\"
🌟 채용 공고: 프로그램 오피서 🌟

동아시아 도시 네트워크 사무국에서 기후 적응 사업을 함께 이끌어 갈 프로그램 오피서를 모십니다.
회원 도시들과 함께 사업을 기획하고, 현장 사례를 정리하며, 국제 회의를 준비하는 일을 맡게 됩니다.

🔹 근무지: 대한민국 서울
🔹 지원 마감: 2099년 12월 15일
🔹 자세한 내용과 지원 방법 🔗 https://example.org/jobs/programme-officer

#채용 #기후행동 #서울
\"\"\"
"""


def test_a_korean_post_that_fits_linkedin_but_not_x_is_refused(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "ko.toml").write_text(KOREAN_HIRING, encoding="utf-8")
    capsys.readouterr()
    run(["draft", "add", "ko.toml", "--as", "mina", "--json"])
    added = json.loads(capsys.readouterr().out)
    linkedin, x = added["posts"]
    assert linkedin["limit"] == 3000
    assert linkedin["problems"] == []
    assert x["limit"] == 280
    assert x["length"] > 280  # Hangul weighs 2, the link 23
    assert x["problems"] == [
        f"{x['length']} weighted characters, over X's limit of 280 by {x['length'] - 280}"
    ]
    run(["draft", "show", str(added["id"])])
    shown = capsys.readouterr().out
    assert f"{x['length']} / 280 weighted characters" in shown
    before = snapshot(workdir)
    line = fails(["submit", str(added["id"]), "--as", "mina"], capsys)
    assert f"x-ko (ko): {x['length']} weighted characters, over X's limit of 280" in line
    assert snapshot(workdir) == before


@pytest.mark.parametrize("args", [["queue"], ["log"], ["draft", "list"], ["user", "list"]])
def test_before_init_a_command_says_so_and_makes_no_database(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
) -> None:
    use_folder(tmp_path, monkeypatch)
    line = fails(args, capsys)
    assert line.startswith("error: database sqlite:///") and line.endswith(
        "tidings.db does not exist: run `tidings init`"
    ), line
    assert [path.name for path in tmp_path.iterdir()] == ["config.toml"]  # no empty database
