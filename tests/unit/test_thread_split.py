"""The thread splitter: parts that fit their platform with their numbers, cut at sentence ends,
then between words, and never inside a grapheme, a link, a hashtag or a mention."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from drafts.text_rules import TextRules, measure
from drafts.text_rules.thread_split import WordTooLong, number_parts, split_thread

KOREAN_SENTENCES = (
    "구청은 지난 봄부터 골목길 정원 가꾸기 사업을 주민들과 함께 진행했습니다.",
    "참여한 가구는 처음 예상의 두 배가 넘었고, 빈 화분이 놓였던 계단마다 꽃이 피었습니다!",
    "다음 달에는 정원사 교육 과정을 열어 이웃끼리 씨앗과 요령을 나누려고 합니다.",
    "자세한 일정은 구청 누리집에서 확인하실 수 있습니다.",
)
# About 600 syllables of Korean: X weighs each one double, so it needs several parts there.
KOREAN = " ".join(KOREAN_SENTENCES * 4)

ENGLISH = (
    "The riverside library reopened on Saturday after eleven months of repairs. "
    "Volunteers carried four thousand books back to the shelves in a single afternoon, "
    "passing boxes hand to hand along the embankment while a brass band played "
    "requests from the crowd and children stamped their new library cards. "
    "Thank you to everyone who came!"
)


def fits_on(platform: str, rules: TextRules | None = None) -> Callable[[str], bool]:
    def fits(text: str) -> bool:
        return all(m.fits for m in measure(platform, text, rules or TextRules()))

    return fits


def assert_rejoins(parts: tuple[str, ...], text: str) -> None:
    """The parts, joined by whitespace, are the text: nothing dropped, added or reordered."""
    pattern = r"\s*" + r"\s+".join(re.escape(part) for part in parts) + r"\s*"
    assert re.fullmatch(pattern, text), parts


def assert_each_fits(parts: tuple[str, ...], platform: str, rules: TextRules | None = None) -> None:
    for part in number_parts(parts):
        assert all(m.fits for m in measure(platform, part, rules or TextRules())), part


@pytest.mark.parametrize("platform", ["x", "bluesky", "mastodon", "threads"])
def test_a_long_korean_text_becomes_a_numbered_chain_that_rejoins(platform: str) -> None:
    parts = split_thread(KOREAN, fits_on(platform))
    assert len(parts) > 1
    assert_each_fits(parts, platform)
    assert_rejoins(parts, KOREAN)
    numbered = number_parts(parts)
    assert [p.rsplit(" ", 1)[1] for p in numbered] == [
        f"{n}/{len(parts)}" for n in range(1, len(parts) + 1)
    ]


def test_parts_end_at_sentence_ends_when_a_sentence_fits() -> None:
    parts = split_thread(KOREAN, fits_on("x"))
    assert all(part.endswith(("다.", "다!")) for part in parts), parts


def test_a_sentence_longer_than_a_part_is_cut_between_words() -> None:
    long_sentence = ENGLISH.replace(". ", ", ")  # one sentence of 350 characters
    parts = split_thread(long_sentence, fits_on("x"))
    assert len(parts) == 2
    assert_each_fits(parts, "x")
    assert_rejoins(parts, long_sentence)
    words = set(long_sentence.split())
    assert {part.split()[-1] for part in parts} <= words


def test_a_text_that_fits_stays_one_part_without_a_number() -> None:
    text = "  Open house on Friday at the community kitchen. \n"
    assert split_thread(text, fits_on("x")) == (text.strip(),)
    assert number_parts((text.strip(),)) == (text.strip(),)


def test_numbers_are_counted_into_each_part_even_at_two_digits() -> None:
    # Every word has a sentence end, so parts fill up to the limit exactly with their numbers.
    text = " ".join(f"Step {n} done." for n in range(1, 260))
    parts = split_thread(text, fits_on("x"))
    assert len(parts) >= 10
    assert_each_fits(parts, "x")
    assert_rejoins(parts, text)
    longest = max(twitter_length(part) for part in number_parts(parts))
    assert longest > 270  # filled, not cut early for safety


def twitter_length(text: str) -> int:
    return measure("x", text)[0].length


@pytest.mark.parametrize(
    "kept",
    [
        "https://example.org/volunteers/apply?season=winter&lang=ko",
        "#골목정원가꾸기",
        "@garden.club.bsky.social",
        "👩‍👩‍👧‍👦",
        "🏳️‍🌈",
    ],
)
def test_links_hashtags_mentions_and_emoji_sequences_are_never_cut(kept: str) -> None:
    # The kept piece sits at every position around where a Bluesky part fills up.
    for filler_words in range(44, 52):
        text = " ".join(["word"] * filler_words) + f" {kept} " + " ".join(["tail"] * 80)
        parts = split_thread(text, fits_on("bluesky"))
        assert_each_fits(parts, "bluesky")
        assert_rejoins(parts, text)
        assert sum(part.count(kept) for part in parts) == 1


def test_a_space_carrying_a_combining_mark_is_not_a_cut() -> None:
    # " \u0301" is one grapheme cluster: cutting at that space would strip the mark from it.
    text = "a" * 100 + " " + "a" * 170 + " \u0301" + "b" * 30 + " " + "c" * 100
    parts = split_thread(text, fits_on("bluesky"))
    assert not any(part.startswith("\u0301") for part in parts)
    assert parts[0] == "a" * 100
    assert_rejoins(parts, text)


def test_a_word_longer_than_any_part_is_refused_not_cut() -> None:
    word = "https://example.org/" + "x" * 400
    with pytest.raises(WordTooLong) as refused:
        split_thread(f"Read the whole report here: {word} and share it.", fits_on("bluesky"))
    assert refused.value.word == word


def test_the_instance_limit_of_a_mastodon_channel_sets_the_part_size() -> None:
    small = TextRules(max_characters=200)
    parts = split_thread(KOREAN, fits_on("mastodon", small))
    default = split_thread(KOREAN, fits_on("mastodon"))
    assert len(parts) > len(default)
    assert_each_fits(parts, "mastodon", small)
