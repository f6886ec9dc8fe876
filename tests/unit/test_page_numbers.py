"""Counts on pages are grouped as the page's language writes them: a desk group of 21,280
drafts, not 21280."""

from __future__ import annotations

import pytest
from jinja2 import DictLoader

from tidings.web.pages import page_environment


@pytest.mark.parametrize(
    ("language", "shown"), [("en", "21,280 · 7 · 1,000,000"), ("ko", "21,280 · 7 · 1,000,000")]
)
def test_a_count_is_grouped_in_the_pages_language(language: str, shown: str) -> None:
    loader = DictLoader({"n": "{{ 21280|number }} · {{ 7|number }} · {{ 1000000|number }}"})
    assert page_environment(loader, language).get_template("n").render() == shown
