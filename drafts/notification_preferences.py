"""Where and what a user hears: the e-mail address notifications go to, the timezone their dates
are written in, and the notification events the user turned off (``drafts.notification_events``).

A user is offered the events an audience of theirs receives (``receivable``): reviewers hear that
a draft waits for review, whoever writes hears about their drafts and posts, admins also about
posts and credentials. Users change their own settings; admins change anyone's. The address and
the zone are checked here for the command line and the web alike: a refusal is one line naming
its field (``email``, ``timezone``, ``events``), and nothing is changed.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session

from drafts.audit import record
from drafts.errors import TidingsError
from drafts.messages import N_, Problem, problem, reason_of
from drafts.models import User
from drafts.notification_events import RECIPIENTS, Audience, Event
from drafts.times import zone
from drafts.users import CAPABILITIES, Capability, Role, find_user, require

MAX_EMAIL = 320  # RFC 5321's longest path: 64 characters, "@", 255
NOT_AN_ADDRESS = N_("%(typed)s is not an e-mail address (one @ and no spaces: name@example.org)")
TOO_LONG = N_("use at most %(count)s characters")
NOT_AN_EVENT = N_("%(typed)s is not one of %(events)s")
NOT_RECEIVED = N_("%(role)s users do not receive %(event)s; they receive %(events)s")


def _hears(role: Role, audience: Audience) -> bool:
    if audience is Audience.REVIEWERS:
        return Capability.REVIEW in CAPABILITIES[role]
    if audience is Audience.AUTHOR:
        return Capability.WRITE in CAPABILITIES[role]
    return role is Role.ADMIN


def receivable(role: Role) -> tuple[Event, ...]:
    """The events a user of ``role`` may receive, in ``Event``'s order."""
    return tuple(event for event in Event if any(_hears(role, each) for each in RECIPIENTS[event]))


def parse_email(text: str) -> str | None:
    """The address ``text`` gives (None for an empty one: no e-mail); ``TidingsError`` at
    ``email`` unless it is one ``@`` between two non-empty parts, with no space or control
    character (a line break would let it add a header) and at most ``MAX_EMAIL`` characters."""
    text = text.strip()
    if not text:
        return None
    if len(text) > MAX_EMAIL:
        raise TidingsError(problem("email", TOO_LONG, count=MAX_EMAIL))
    name, _, domain = text.partition("@")
    if not name or not domain or "@" in domain or any(_not_in_address(c) for c in text):
        raise TidingsError(problem("email", NOT_AN_ADDRESS, typed=repr(text)))
    return text


def _not_in_address(character: str) -> bool:
    return character.isspace() or not character.isprintable()


def parse_timezone(text: str) -> str | None:
    """The IANA zone ``text`` names (None for an empty one: the team's); ``TidingsError`` at
    ``timezone`` for a name there is no zone for."""
    text = text.strip()
    if not text:
        return None
    try:
        zone(text)
    except ValueError as error:
        raise TidingsError(Problem("timezone", reason_of(error))) from None
    return text


def parse_events(texts: Iterable[str], role: Role) -> frozenset[Event]:
    """The events ``texts`` name; ``TidingsError`` at ``events`` for a name that is no event,
    or an event ``role`` does not receive."""
    offered = receivable(role)
    found: set[Event] = set()
    for text in texts:
        try:
            event = Event(text.strip())
        except ValueError:
            listed = ", ".join(each for each in Event if RECIPIENTS[each])  # a person's
            raise TidingsError(
                problem("events", NOT_AN_EVENT, typed=repr(text), events=listed)
            ) from None
        if event not in offered:
            listed = ", ".join(offered)
            words = {"role": role.value, "event": event.value, "events": listed}
            raise TidingsError(problem("events", NOT_RECEIVED, **words))
        found.add(event)
    return frozenset(found)


def set_contact(
    session: Session, *, name: str, email: str | None, timezone: str | None, actor: User
) -> User:
    """Store ``name``'s e-mail address and timezone, both already parsed (None: none)."""
    user = _changeable(session, name, actor)
    if email != user.email:
        record(session, actor=actor.name, action="user.email", detail=name)
    user.email, user.timezone = email, timezone
    session.add(user)
    return user


def set_received(
    session: Session, *, name: str, on: Iterable[Event], off: Iterable[Event], actor: User
) -> User:
    """Turn the events ``on`` back on and the events ``off`` off for ``name``; the events the
    user's role does not receive stay as they were."""
    user = _changeable(session, name, actor)
    muted = (set(user.muted_events) - {event.value for event in on}) | {e.value for e in off}
    user.muted_events = sorted(muted)  # a new list: the JSON column sees the change
    session.add(user)
    return user


def received(user: User) -> tuple[Event, ...]:
    """The events ``user`` receives: those of their role they did not turn off."""
    return tuple(e for e in receivable(Role(user.role)) if e.value not in user.muted_events)


def _changeable(session: Session, name: str, actor: User) -> User:
    """``name``'s user, whom ``actor`` may change: themselves, or anyone for an admin."""
    user = find_user(session, name)
    if user.id != actor.id:
        require(actor, Capability.MANAGE_USERS)
    return user
