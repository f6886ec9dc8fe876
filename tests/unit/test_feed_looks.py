"""How a feed shows a post's text: where LinkedIn folds it (graphemes or lines, never for white
space alone) and the hashtags it links, what X styles, Bluesky's links read from the request's UTF-8 facets, and
Mastodon's hashtags and links, its card giving way to images."""

from __future__ import annotations

from drafts.config import Config
from scheduler.preview import Preview, preview
from tests.conftest import make_config
from tidings.web.feed_looks import FOLDS, TCO_FORM, Run, fold_at, look_of


def built(config: Config, channel: str, text: str, language: str = "en") -> Preview:
    return preview(post_id=1, text=text, language=language, channel=config.channel(channel))


def test_linkedin_folds_at_the_end_of_the_third_line_when_that_comes_first() -> None:
    text = "One.\nTwo.\nThree.\nFour."
    assert fold_at(text, FOLDS["linkedin"]) == text.index("\nFour")
    assert fold_at("One.\nTwo.\nThree.\n\n", FOLDS["linkedin"]) is None  # only space is left
    assert fold_at("가" * 210, FOLDS["linkedin"]) is None
    assert fold_at("가" * 211, FOLDS["linkedin"]) == 210


def test_linkedin_styles_the_hashtags_it_links_on_both_sides_of_its_fold() -> None:
    config = make_config()
    text = "#공원 and C# at example.org/a#b, @park_team\nTwo.\nThree #여름음악회\nFour #Parks"
    look = look_of("linkedin", built(config, "linkedin", text, "ko"), has_images=False)
    tags = [run.text for run in look.runs + look.folded if run.kind == "tag"]
    assert tags == ["#공원", "#여름음악회", "#Parks"]
    assert look.folded[0].text == "\nFour "  # the fold, at the end of the third line
    assert "".join(run.text for run in look.runs + look.folded) == text
    # A fold inside a tag cuts it in two: both parts stay styled, no character moves.
    long = "가" * 205 + " #여름음악회 끝"
    look = look_of("linkedin", built(config, "linkedin", long, "ko"), has_images=False)
    assert (look.runs[-1], look.folded[0]) == (Run("#여름음", "tag"), Run("악회", "tag"))
    assert "".join(run.text for run in look.runs + look.folded) == long


def test_x_styles_links_tags_and_mentions_but_not_what_is_none() -> None:
    config = make_config()
    text = "#Parks at example.org/a#b, @park_team! #2027 and mail@example.com"
    runs = look_of("x", built(config, "x-en", text), has_images=False).runs
    styled = [(run.kind, run.text, run.shown) for run in runs if run.kind != "text"]
    assert styled == [
        ("tag", "#Parks", None),
        ("link", "example.org/a#b", TCO_FORM),
        ("mention", "@park_team", None),
    ]
    assert "".join(run.text for run in runs) == text


def test_bluesky_links_and_tags_come_from_the_requests_facets_in_utf8_bytes() -> None:
    config = make_config()
    text = "강변 공원 #여름 https://example.org/여름"
    look = look_of("bluesky", built(config, "bluesky", text, "ko"), has_images=False)
    assert [run for run in look.runs if run.kind != "text"] == [
        Run("#여름", "tag"),
        Run("https://example.org/여름", "link"),
    ]
    assert look.card is not None and look.card.host == "example.org"
    with_images = look_of("mastodon", built(config, "mastodon", text, "ko"), has_images=True)
    assert with_images.card is None  # the images take the card's place
    assert [run.text for run in with_images.runs if run.kind != "text"] == [
        "#여름",
        "https://example.org/여름",
    ]
