"""``[[feeds]]`` in config.toml: each bad key named at ``feeds[N].key`` in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from drafts.errors import ConfigError
from tests.conftest import TEST_CONFIG, make_config

FEED_TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "feeds"
WITH_TEMPLATES = TEST_CONFIG.replace(
    'database = "sqlite:///unused.db"',
    f'database = "sqlite:///unused.db"\ntemplates = "{FEED_TEMPLATES}"',
)
GOOD = """
[[feeds]]
url = "https://news.example.org/feed.rss"
template = "news"
channels = ["linkedin", "x-ko"]
languages = ["ko"]
"""


def refusal(feeds: str) -> str:
    with pytest.raises(ConfigError) as refused:
        make_config(WITH_TEMPLATES + feeds)
    return str(refused.value)


def test_a_feed_read_every_15_minutes_by_the_daemon_unless_told() -> None:
    (feed,) = make_config(WITH_TEMPLATES + GOOD).feeds
    assert (feed.interval, feed.author, feed.channels) == (15, None, ("linkedin", "x-ko"))
    second = GOOD.replace('languages = ["ko"]', 'languages = ["ko"]\ninterval = 1\nauthor = "mina"')
    assert make_config(WITH_TEMPLATES + GOOD + second).feeds[1].interval == 1


def test_unknown_channel_template_and_language_each_named_at_its_feed() -> None:
    second = GOOD.replace('"linkedin", "x-ko"', '"linkdin"').replace('"ko"]', '"ko", "fr"]')
    third = GOOD.replace('template = "news"', 'template = "newz"')
    line = refusal(GOOD + second + third)
    assert "\n" not in line
    assert "3 problems" in line
    assert "feeds[1].channels: unknown channel 'linkdin'" in line
    assert "feeds[1].languages: template 'news' has no 'fr' version (en, ko)" in line
    assert "feeds[2].template: template newz: not found" in line


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (('"https://news.example.org/feed.rss"', '"news.example.org/feed.rss"'), "feeds[0].url"),
        (('languages = ["ko"]', 'languages = ["ko"]\ninterval = 0.5'), "feeds[0].interval"),
        (('channels = ["linkedin", "x-ko"]', "channels = []"), "feeds[0].channels"),
        (('languages = ["ko"]', 'languages = ["ko"]\nevery = 5'), "feeds[0].every"),
    ],
)
def test_a_bad_key_is_named(change: tuple[str, str], named: str) -> None:
    assert f"{named}:" in refusal(GOOD.replace(*change))
