"""Login throttling: five failures for a name, or twenty from an address, within fifteen minutes
and further attempts are refused (429) without a password being checked, until the window
passes; a successful login clears the name's count. Time is a fake clock: nothing sleeps."""

from __future__ import annotations

from functools import partial

import httpx
import pytest
from starlette.applications import Starlette

from drafts.storage import Database
from tests.web.conftest import SQLITE_ONLY, Person, client, form_fields, log_in
from tidings.web import auth
from tidings.web.login_throttle import ADDRESS_LIMIT, NAME_LIMIT, WINDOW, LoginThrottle

pytestmark = pytest.mark.anyio


class Clock:
    """Seconds that pass only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The clock of the throttle in every app made by this module's tests."""
    fake = Clock()
    monkeypatch.setattr(auth, "LoginThrottle", partial(LoginThrottle, clock=fake))
    return fake


def fail(throttle: LoginThrottle, name: str, address: str = "10.0.0.1") -> float:
    """One attempt for ``name`` that turns out wrong; the wait it was given."""
    return throttle.admit(name, address)


# --- the class --------------------------------------------------------------------------------


def test_the_sixth_attempt_for_a_name_waits_for_the_first_to_leave_the_window(
    clock: Clock,
) -> None:
    throttle = LoginThrottle(clock=clock)
    for _ in range(NAME_LIMIT):
        assert fail(throttle, "joon") == 0
        clock.now += 60
    assert throttle.admit("joon", "10.0.0.1") == WINDOW - NAME_LIMIT * 60
    assert throttle.admit("joon", "10.0.0.2") > 0  # another address does not help
    assert throttle.admit("ara", "10.0.0.1") == 0  # another name is not held back
    clock.now += WINDOW - NAME_LIMIT * 60 - 1
    assert throttle.admit("joon", "10.0.0.1") == 1
    clock.now += 1
    assert throttle.admit("joon", "10.0.0.1") == 0  # the first failure has left the window
    assert throttle.admit("joon", "10.0.0.1") == 60  # and this one counted again


def test_a_refused_attempt_is_not_counted(clock: Clock) -> None:
    throttle = LoginThrottle(clock=clock)
    for _ in range(NAME_LIMIT):
        fail(throttle, "joon")
    for _ in range(10):
        assert throttle.admit("joon", "10.0.0.1") == WINDOW
    clock.now += WINDOW
    assert throttle.admit("joon", "10.0.0.1") == 0


def test_success_clears_the_names_count_but_not_the_addresss(clock: Clock) -> None:
    throttle = LoginThrottle(clock=clock)
    for _ in range(NAME_LIMIT - 1):
        fail(throttle, "joon")
    assert throttle.admit("joon", "10.0.0.1") == 0
    throttle.succeeded("joon", "10.0.0.1")
    for _ in range(NAME_LIMIT):
        assert fail(throttle, "joon") == 0
    assert throttle.admit("joon", "10.0.0.1") > 0
    # The address has 4 + 5 failures; the success itself is not one of them.
    for number in range(ADDRESS_LIMIT - (NAME_LIMIT - 1) - NAME_LIMIT):
        assert fail(throttle, f"guess{number}") == 0
    assert throttle.admit("mina", "10.0.0.1") > 0
    assert throttle.admit("mina", "10.0.0.2") == 0


def test_twenty_failures_from_one_address_hold_back_every_name(clock: Clock) -> None:
    throttle = LoginThrottle(clock=clock)
    for number in range(ADDRESS_LIMIT):
        assert fail(throttle, f"guess{number}") == 0
    assert throttle.admit("joon", "10.0.0.1") == WINDOW
    assert throttle.admit("joon", "10.0.0.9") == 0
    clock.now += WINDOW
    assert throttle.admit("joon", "10.0.0.1") == 0


def test_names_and_addresses_seen_long_ago_are_forgotten(clock: Clock) -> None:
    throttle = LoginThrottle(clock=clock)
    for number in range(50):
        fail(throttle, f"guess{number}", f"10.0.1.{number}")
    clock.now += WINDOW + 1
    fail(throttle, "joon")
    assert set(throttle._failures) == {("name", "joon"), ("address", "10.0.0.1")}


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
        assert "Too many failed logins; try again in 15 minutes." in refused.text
        assert refused.headers["retry-after"] == str(int(WINDOW))
        assert form_fields(refused.text, "/login")["name"] == "joon"
        assert len(checked) == NAME_LIMIT  # refused without checking the password
        assert (await browser.get("/")).status_code == 303
        clock.now += WINDOW - 61
        assert "try again in 2 minutes." in (await log_in(browser, joon)).text
        clock.now += 60
        assert "try again in 1 minute." in (await log_in(browser, joon)).text
        async with client(app) as same_address:  # other names may
            assert (await log_in(same_address, people["ara"])).status_code == 303
        clock.now += 1
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
        assert "Too many failed logins" in refused.text
    other = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("192.0.2.7", 4711)),
        base_url="http://testserver",
    )
    async with other:
        assert (await log_in(other, people["mina"])).status_code == 303
