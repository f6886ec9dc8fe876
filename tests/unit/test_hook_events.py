"""Every notification event is one of the hook types PRODUCT.md names, and back (issue 15
point 3): an event added without its hook type, or a hook type naming no event, fails here."""

from __future__ import annotations

from drafts.hook_events import HOOK_EVENTS, hook_type
from drafts.notification_events import Event


def test_every_event_has_its_hook_type_and_every_type_its_event() -> None:
    assert {hook_type(event.value, {}) for event in Event} == set(HOOK_EVENTS) - {
        "post.needs_attention"
    }
    assert set(HOOK_EVENTS.values()) == {event.value for event in Event}


def test_a_failed_post_is_failed_or_needs_attention_by_its_status() -> None:
    assert hook_type("post_failed", {"status": "failed"}) == "post.failed"
    assert hook_type("post_failed", {"status": "needs_attention"}) == "post.needs_attention"
    assert hook_type("no_such_event", {}) is None
