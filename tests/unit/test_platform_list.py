"""One list of platforms: ``drafts.channels.PLATFORMS``. Everything else that names platforms
(the channel models, the text rules, the adapters, the sandbox) names exactly those."""

from __future__ import annotations

from typing import get_args

import pytest

from drafts.channels import PLATFORMS, Channel, ChannelBase
from drafts.text_rules import PLATFORMS as MEASURED
from scheduler.platforms import ADAPTERS, adapter_for
from scheduler.sandbox import PLATFORMS as IN_THE_SANDBOX
from scheduler.sandbox.app import PLATFORM_MODULES

MODELS = get_args(get_args(Channel)[0])  # the models in the Annotated union


def platform_of(model: type[ChannelBase]) -> str:
    (platform,) = get_args(model.model_fields["platform"].annotation)
    return str(platform)


def test_every_list_of_platforms_names_the_same_ones() -> None:
    assert len(set(PLATFORMS)) == len(PLATFORMS)
    assert {platform_of(model) for model in MODELS} == set(PLATFORMS)
    assert set(MEASURED) == set(PLATFORMS)
    assert set(ADAPTERS) == set(PLATFORMS)
    assert set(IN_THE_SANDBOX) == set(PLATFORMS)


def test_every_adapter_takes_its_platforms_channel_model() -> None:
    for model in MODELS:
        platform = platform_of(model)
        assert ADAPTERS[platform].channel_type is model
        assert ADAPTERS[platform].platform == platform


def test_the_sandbox_speaks_every_platform() -> None:
    assert {module.DIALECT.platform for module in PLATFORM_MODULES} == set(PLATFORMS)


def test_a_channel_of_the_wrong_model_is_refused_where_its_adapter_is_chosen() -> None:
    stray = ChannelBase(id="stray", platform="x", languages=("en",))
    with pytest.raises(TypeError, match="the x adapter takes a XChannel"):
        adapter_for(stray)
