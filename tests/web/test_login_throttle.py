"""Login throttling: five failures for a name, or twenty from an address, within fifteen minutes
and further attempts are refused (429) without a password being checked, until the window
passes; a successful login clears the name's count. The counts are kept in the database, on
SQLite and PostgreSQL alike, so that every web process shares them. Time is a fake clock:
nothing sleeps."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import httpx
import pytest
from sqlmodel import select
from starlette.applications import Starlette

from drafts.login_failures import Refusal
from drafts.models import LoginFailures
from drafts.storage import Database
from tests.fakes import Clock
from tests.web.conftest import SQLITE_ONLY, Person, client, form_fields, log_in
from tidings.web import auth
from tidings.web.login_throttle import ADDRESS_LIMIT, NAME_LIMIT, WINDOW, LoginThrottle

pytestmark = pytest.mark.anyio
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The clock of the throttle in every app made by this module's tests."""
    fake = Clock()
    monkeypatch.setattr(auth, "LoginThrottle", partial(LoginThrottle, clock=fake))
    return fake


def fail(throttle: LoginThrottle, name: str, address: str = "10.0.0.1") -> Refusal | None:
    """One attempt for ``name`` that turns out wrong; the refusal it was given, if any."""
    return throttle.admit(name, address)


def wait(refusal: Refusal | None) -> timedelta:
    return refusal.wait if refusal is not None else timedelta(0)


# --- the counts -------------------------------------------------------------------------------


def test_the_sixth_attempt_for_a_name_waits_for_the_first_to_leave_the_window(
    database: Database, clock: Clock
) -> None:
    throttle = LoginThrottle(database, clock=clock)
    for _ in range(NAME_LIMIT):
        assert fail(throttle, "joon") is None
        clock.advance(minutes=1)
    refused = throttle.admit("joon", "10.0.0.1")
    assert refused == Refusal(WINDOW - NAME_LIMIT * MINUTE, "name")
    assert wait(throttle.admit("joon", "10.0.0.2")) > timedelta(0)  # another address: no help
    assert throttle.admit("ara", "10.0.0.1") is None  # another name is not held back
    clock.advance(seconds=(WINDOW - NAME_LIMIT * MINUTE - SECOND).total_seconds())
    assert wait(throttle.admit("joon", "10.0.0.1")) == SECOND
    clock.advance(seconds=1)
    assert throttle.admit("joon", "10.0.0.1") is None  # the first failure has left the window
    assert wait(throttle.admit("joon", "10.0.0.1")) == MINUTE  # and this one counted again


def test_a_refused_attempt_is_not_counted(database: Database, clock: Clock) -> None:
    throttle = LoginThrottle(database, clock=clock)
    for _ in range(NAME_LIMIT):
        fail(throttle, "joon")
    for _ in range(10):
        assert wait(throttle.admit("joon", "10.0.0.1")) == WINDOW
    clock.advance(minutes=15)
    assert throttle.admit("joon", "10.0.0.1") is None


def test_success_clears_the_names_count_but_not_the_addresss(
    database: Database, clock: Clock
) -> None:
    throttle = LoginThrottle(database, clock=clock)
    for _ in range(NAME_LIMIT - 1):
        fail(throttle, "joon")
    assert throttle.admit("joon", "10.0.0.1") is None
    throttle.succeeded("joon", "10.0.0.1")
    for _ in range(NAME_LIMIT):
        assert fail(throttle, "joon") is None
    assert wait(throttle.admit("joon", "10.0.0.1")) > timedelta(0)
    # The address has 4 + 5 failures; the success itself is not one of them.
    for number in range(ADDRESS_LIMIT - (NAME_LIMIT - 1) - NAME_LIMIT):
        assert fail(throttle, f"guess{number}") is None
    held = throttle.admit("mina", "10.0.0.1")
    assert held is not None and held.held == "address"
    assert throttle.admit("mina", "10.0.0.2") is None


def test_twenty_failures_from_one_address_hold_back_every_name(
    database: Database, clock: Clock
) -> None:
    throttle = LoginThrottle(database, clock=clock)
    for number in range(ADDRESS_LIMIT):
        assert fail(throttle, f"guess{number}") is None
    assert throttle.admit("joon", "10.0.0.1") == Refusal(WINDOW, "address")
    assert throttle.admit("joon", "10.0.0.9") is None
    clock.advance(minutes=15)
    assert throttle.admit("joon", "10.0.0.1") is None


def test_names_and_addresses_seen_long_ago_are_forgotten(database: Database, clock: Clock) -> None:
    throttle = LoginThrottle(database, clock=clock)
    for number in range(50):
        fail(throttle, f"guess{number}", f"10.0.1.{number}")
    clock.advance(minutes=15, seconds=1)
    fail(throttle, "joon")
    with database.reading() as session:
        assert len(session.exec(select(LoginFailures)).all()) == 2  # joon's and 10.0.0.1's


def test_a_name_typed_is_never_stored(database: Database, clock: Clock) -> None:
    throttle = LoginThrottle(database, clock=clock)
    fail(throttle, "correct horse battery staple")  # a password typed into the name field
    with database.reading() as session:
        stored = repr(session.exec(select(LoginFailures)).all())
    assert "horse" not in stored and "10.0.0.1" not in stored


def test_web_processes_share_the_counts(database: Database, clock: Clock) -> None:
    first, second = (LoginThrottle(database, clock=clock) for _ in range(2))
    for number in range(NAME_LIMIT):
        assert fail(first if number % 2 else second, "joon", f"10.0.0.{number}") is None
    assert wait(first.admit("joon", "10.0.0.9")) == WINDOW
    assert wait(second.admit("joon", "10.0.0.9")) == WINDOW


# --- the login page ---------------------------------------------------------------------------


async def attempt(browser: httpx.AsyncClient, name: str, password: str) -> httpx.Response:
    return await log_in(browser, Person(name, password))


@SQLITE_ONLY
async def test_the_sixth_login_for_a_name_is_refused_unchecked_until_the_window_passes(
    app: Starlette,
    people: dict[str, Person],
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checked: list[str] = []
    authenticate = auth.authenticate

    def counting(database: Database, name: str, password: str) -> int | None:
        checked.append(name)
        return authenticate(database, name, password)

    monkeypatch.setattr(auth, "authenticate", counting)
    joon = people["joon"]
    async with client(app) as browser:
        for _ in range(NAME_LIMIT):
            assert (await attempt(browser, "joon", "not-his-password")).status_code == 400
        assert len(checked) == NAME_LIMIT
        refused = await log_in(browser, joon)  # the right password, too late
        assert refused.status_code == 429
        assert (
            "Too many failed logins for this name; try again in 15 minutes, or ask an admin to "
            "unlock it." in refused.text
        )
        assert refused.headers["retry-after"] == str(int(WINDOW.total_seconds()))
        assert form_fields(refused.text, "/login")["name"] == "joon"
        assert len(checked) == NAME_LIMIT  # refused without checking the password
        assert (await browser.get("/")).status_code == 303
        clock.advance(seconds=WINDOW.total_seconds() - 61)
        assert "try again in 2 minutes, or ask" in (await log_in(browser, joon)).text
        clock.advance(seconds=60)
        assert "try again in 1 minute, or ask" in (await log_in(browser, joon)).text
        async with client(app) as same_address:  # other names may
            assert (await log_in(same_address, people["ara"])).status_code == 303
        clock.advance(seconds=1)
        assert (await log_in(browser, joon)).status_code == 303


@SQLITE_ONLY
async def test_a_successful_login_clears_the_names_failures(
    app: Starlette, people: dict[str, Person]
) -> None:
    async with client(app) as browser:
        for _ in range(NAME_LIMIT - 1):
            assert (await attempt(browser, "joon", "not-his-password")).status_code == 400
        assert (await log_in(browser, people["joon"])).status_code == 303
    async with client(app) as browser:
        for _ in range(NAME_LIMIT):
            assert (await attempt(browser, "joon", "not-his-password")).status_code == 400
        assert (await attempt(browser, "joon", "not-his-password")).status_code == 429


@SQLITE_ONLY
async def test_twenty_failed_logins_from_one_address_refuse_every_name(
    app: Starlette, people: dict[str, Person]
) -> None:
    async with client(app) as browser:
        for number in range(ADDRESS_LIMIT):
            response = await attempt(browser, f"guess{number}", "whatever-password")
            assert response.status_code == 400
        refused = await log_in(browser, people["mina"])
        assert refused.status_code == 429
        assert "Too many failed logins; try again in 15 minutes." in refused.text  # no unlock
    other = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("192.0.2.7", 4711)),
        base_url="http://testserver",
    )
    async with other:
        assert (await log_in(other, people["mina"])).status_code == 303
