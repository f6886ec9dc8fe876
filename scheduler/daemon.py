"""The daemon: wait for the next due time, new work or a stop; claim; publish; record; repeat.

APScheduler 3.x is only its clock: one date job re-armed at the next due time, and a slow
interval sweep. The database is the source of truth for what is due, so a late or missed
wake-up loses nothing: the next cycle claims whatever is due by then. Changes made by other
processes wake it too (``PRAGMA data_version`` on SQLite, ``LISTEN`` on PostgreSQL).

Every few seconds it reports in and renews the leases of what it is sending, and it vouches
for a lease before each request it sends (``scheduler.holding``): a dead daemon's posts are
taken over within seconds, and a paused one sends nothing for posts taken from it. Every
minute it renews the connected credentials about to expire (``scheduler.renewal``), and each
``[[feeds]]`` entry is read at its interval, its new items sent to review (``scheduler.news_feeds``).

Every database call runs on one thread of its own, so the event loop never blocks on it and
writes from this process never contend with each other. A database that cannot take writes for
now (a full disk, a read-only file, a lost connection) is waited out, never a reason to stop:
see ``scheduler.storage_outage``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import traceback
from collections import Counter, deque
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TypeVar

import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlmodel import Session

from drafts.config import Config
from drafts.errors import StorageUnavailable
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from drafts.times import utcnow
from scheduler.attempt_data import Claim, Result
from scheduler.attempt_log import attempt_context, log_attempt
from scheduler.claiming import claim_due, put_back, save_publish_state
from scheduler.credentials import check_credentials, scrub
from scheduler.due import next_wake, pending_work
from scheduler.heartbeat import Worker
from scheduler.holding import Heartbeat, LeaseLost, sending_for
from scheduler.http_clients import ChannelClients
from scheduler.media_spool import MediaSpool, media_links
from scheduler.news_feeds import FeedReader
from scheduler.notifications.outbox import DeliveryPolicy
from scheduler.notifications.sending import Notifier
from scheduler.platforms.base import JobImage
from scheduler.publishing import attempt, internal_error_result
from scheduler.recording import record_dropped, record_results
from scheduler.renewal import Renewals, RenewingVault
from scheduler.retry import RetryPolicy
from scheduler.storage_outage import StorageOutage
from scheduler.vault import DatabaseVault, check_vault_key
from scheduler.watch import watch_queue

T = TypeVar("T")
log = logging.getLogger("tidings.daemon")


@dataclass(frozen=True)
class DaemonSettings:
    concurrency: int = 16
    heartbeat: timedelta = timedelta(seconds=2)
    missed_beats: int = 3  # silent this many heartbeats, a daemon is dead
    sweep: timedelta = timedelta(seconds=30)
    request_timeout: float = 30.0
    watch_interval: float = 0.2
    retry_base_delay: timedelta = timedelta(seconds=2)
    batch_window: float = 0.05  # seconds, at most; see Daemon._gather_more_results
    storage_retry: timedelta = timedelta(seconds=1)  # the first wait when the database refuses
    renewal_every: timedelta = timedelta(minutes=1)  # a round of scheduler.renewal
    feed_check: timedelta = timedelta(minutes=1)  # at most this long between looks at the feeds
    notifications: DeliveryPolicy = field(default_factory=DeliveryPolicy)  # when to notify

    @classmethod
    def from_config(cls, config: Config) -> DaemonSettings:
        scheduler = config.scheduler
        return cls(
            concurrency=scheduler.concurrency,
            heartbeat=timedelta(seconds=scheduler.heartbeat_seconds),
            missed_beats=scheduler.missed_beats,
            request_timeout=scheduler.request_timeout,
        )

    @property
    def lease(self) -> timedelta:
        """How long a claim holds a post without a heartbeat renewing it."""
        return self.heartbeat * self.missed_beats


@dataclass
class RunSummary:
    """What a run did, by attempt outcome."""

    outcomes: Counter[str] = field(default_factory=Counter)


class Daemon:
    """Publishes due, approved posts until stopped (or, draining, until nothing is left)."""

    def __init__(
        self,
        config: Config,
        database: Database,
        *,
        settings: DaemonSettings | None = None,
        drain: bool = False,
        worker: str | None = None,
        client: httpx.AsyncClient | None = None,
        now: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.database = database
        self.settings = settings or DaemonSettings.from_config(config)
        self.drain = drain
        self.now = now
        self.policy = RetryPolicy(
            max_attempts=config.scheduler.max_attempts, base_delay=self.settings.retry_base_delay
        )
        self.summary = RunSummary()
        self._client = client
        self._rng = rng or random.Random()
        self._channels = {channel.id: channel for channel in config.channels}
        check_vault_key(database, config.channels)  # first: it names connected channels too
        check_credentials(config.channels)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tidings-db")
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._ready: deque[Claim] = deque()  # claimed ahead, sent as requests end
        self._held: Counter[str] = Counter()  # per channel: in flight and ready
        self._unsent: list[Claim] = []  # taken from the ready ones, to be put back
        self._results: list[Result] = []
        self._clients: ChannelClients | None = None
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._stopped_at: float | None = None
        self._outage = StorageOutage(self.settings.storage_retry.total_seconds())
        self._heartbeat = Heartbeat(
            worker=Worker.this_process(now(), worker),
            every=self.settings.heartbeat.total_seconds(),
            missed_beats=self.settings.missed_beats,
            db=self._db,
            in_flight=self._holding,
            now=now,
            outage=self._outage,
            wake=self._wake.set,
        )
        self.worker = self._heartbeat.worker.name
        self._renewals = Renewals(config, self._keep_books, holder=self.worker, now=now)
        self._stored = DatabaseVault(self._keep_books)
        self._vault = RenewingVault(self._stored, self._renewals)
        self._links = media_links(config)
        self._spool = MediaSpool()
        self._notifier = Notifier(
            config, self._keep_books, policy=self.settings.notifications, now=now
        )
        library = TemplateLibrary.default(config.template_folders)
        self._feeds = FeedReader(config, self._keep_books, library=library, now=now)

    def stop(self) -> None:
        """Stop claiming; in-flight requests finish and are recorded before ``run`` returns."""
        self._stopping.set()
        self._wake.set()
        if self._stopped_at is None:
            self._stopped_at = time.monotonic()

    async def run(self) -> RunSummary:
        clients = ChannelClients(
            self.config.channels,
            timeout=httpx.Timeout(self.settings.request_timeout, connect=10.0),
            concurrency=self.settings.concurrency,
            hooks=[self._heartbeat.before_request],
            given=self._client,
        )
        self._clients = clients
        clock = AsyncIOScheduler(timezone=UTC)
        clock.start()
        clock.add_job(
            self._ring,
            "interval",
            seconds=self.settings.sweep.total_seconds(),
            id="sweep",
            coalesce=True,
            misfire_grace_time=None,
        )
        watcher = asyncio.create_task(
            watch_queue(self.database, self._wake, self.settings.watch_interval)
        )
        try:  # at once: a predecessor on this host is known dead before the first claim
            await self._heartbeat.beat()
        except StorageUnavailable as error:
            self._outage.failed(error)
        heartbeat = asyncio.create_task(self._heartbeat.keep_beating())
        renewing = asyncio.create_task(self._keep_renewing(clients.shared))
        notifying = asyncio.create_task(self._keep_notifying())
        reading = asyncio.create_task(self._keep_reading_feeds(clients.shared))
        try:
            await self._loop(clock)
        finally:
            self._stopping.set()  # a drain ends here too; a renewal under way is finished
            await renewing
            await notifying
            await reading
            if self._in_flight:
                await asyncio.gather(*self._in_flight.values(), return_exceptions=True)
            recorded = await self._record_before_exit()
            watcher.cancel()
            heartbeat.cancel()
            if recorded:  # else the row stays, so a restart here takes those posts at once
                with contextlib.suppress(StorageUnavailable):
                    await self._heartbeat.leave()
            clock.shutdown(wait=False)
            await clients.aclose()
            self._executor.shutdown(wait=True)
            self._notifier.close()
            self._spool.remove()
        return self.summary

    async def _loop(self, clock: AsyncIOScheduler) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            results, self._results = self._results, []
            unsent, self._unsent = self._unsent, []
            capacity = {
                channel_id: channel.max_in_flight - self._held[channel_id]
                for channel_id, channel in self._channels.items()
            }
            free = self._most_held - len(self._in_flight) - len(self._ready)
            cycle = partial(
                self._cycle,
                results=results,
                unsent=unsent,
                capacity=capacity,
                free=free,
                holding=frozenset(self._holding()),
            )
            try:
                claims, wake_at, pending = await self._db(cycle)
            except StorageUnavailable as error:
                self._results[:0] = results  # kept until the database takes them
                self._unsent[:0] = unsent
                await self._pause(self._outage.failed(error))
                continue
            self._outage.ended()
            for claim in claims:
                self._held[claim.channel] += 1
            self._ready.extend(claims)
            self._start_ready()
            if pending is False and not self._in_flight and not self._results:
                return  # draining, and nothing was due, in flight or waiting to be recorded
            if wake_at is not None or not self._in_flight:
                self._arm(clock, wake_at)
            await self._wake.wait()
            await self._gather_more_results()

    async def _keep_renewing(self, client: httpx.AsyncClient) -> None:
        """A round of renewals at once, then every ``renewal_every`` until the daemon stops."""
        while not self._stopping.is_set():
            try:
                await self._renewals.round(client)
            except StorageUnavailable:  # only once told to stop, after waiting a lease
                return
            except Exception:  # a bug of ours: publishing goes on, and so do the rounds
                trace = scrub(traceback.format_exc())
                log.error("a round of token renewals failed inside Tidings\n%s", trace)
            await self._pause(self.settings.renewal_every.total_seconds())

    async def _keep_reading_feeds(self, client: httpx.AsyncClient) -> None:
        """Each news feed read when its interval is up, off the publishing path, until the
        daemon stops (a drain reads none: it only empties the queue)."""
        while not self._stopping.is_set() and not self.drain and self.config.feeds:
            wait = self.settings.feed_check.total_seconds()
            try:
                next_due = await self._feeds.round(client)
                wait = wait if next_due is None else min(next_due, wait)
            except StorageUnavailable:  # only once told to stop, after waiting a lease
                return
            except Exception:  # a bug of ours: publishing goes on, and so do the reads
                trace = scrub(traceback.format_exc())
                log.error("a round of news feed reads failed inside Tidings\n%s", trace)
            await self._pause(max(wait, 1.0))

    async def _keep_notifying(self) -> None:
        """A round of notifications at once, then every few seconds until the daemon stops;
        a drain ends with one more round, so what its posts caused is sent before it exits."""
        while True:
            last = self._stopping.is_set()  # a round begun after the stop is the last
            try:
                await self._notifier.round()
            except StorageUnavailable:  # only once told to stop, after waiting a lease
                return
            except Exception:  # a bug of ours: publishing goes on, and so do the rounds
                trace = scrub(traceback.format_exc())
                log.error("a round of notifications failed inside Tidings\n%s", trace)
            if last:
                return
            await self._pause(self.settings.notifications.every.total_seconds())
            if self._stopping.is_set() and not self.drain:
                return

    async def _pause(self, seconds: float) -> None:
        """Wait ``seconds``, or less if the daemon is told to stop meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _record_before_exit(self) -> bool:
        """Record the last results and put back the posts claimed ahead and never sent,
        waiting out a database outage for up to one lease; after that, each result still
        unrecorded is logged, and its post (left publishing) is checked with its platform by
        the next daemon before anything is sent again, as is each post not put back. Whether
        all were recorded and put back."""
        results, self._results = self._results, []
        self._set_aside(list(self._ready))
        self._ready.clear()
        unsent, self._unsent = self._unsent, []

        def settle(session: Session) -> None:
            record_results(session, results, self.worker, self.now())
            self._put_back(session, unsent)

        try:
            await self._keep_books(settle)
            return True
        except StorageUnavailable as error:
            if unsent:
                log.error(
                    "%s posts claimed but never sent were not put back (%s); the next daemon "
                    "checks each with its platform first",
                    len(unsent),
                    error,
                )
            for result in results:
                log.error(
                    "post %s: attempt %s ended %s%s but was not recorded (%s); the next daemon "
                    "checks the post before anything is sent again",
                    result.claim.post_id,
                    result.claim.number,
                    result.decision.attempt_outcome,
                    f" ({result.remote_url or result.remote_id})" if result.remote_id else "",
                    error,
                )
            return False

    async def _gather_more_results(self) -> None:
        """When woken by finished requests while most are still running, wait for a batch to
        gather (half the concurrency), at most ``batch_window``: a cycle costs the
        database the same few statements however many results it records and posts it
        claims, so the bigger its batch, the less each post costs (a busy drain on PostgreSQL
        recorded some eight at a time). Meanwhile each request that ends makes room for a
        post claimed ahead (``_start_ready``), so no room waits for the cycle. A stop ends the
        wait at once; a post that came due meanwhile waits with the results, at most the
        window, and only while the daemon is busy (when idle, nothing waits here)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.batch_window
        batch = max(1, self.settings.concurrency // 2)
        while (
            len(self._results) < batch
            and len(self._in_flight) >= self.settings.concurrency // 2
            and not self._stopping.is_set()
            and (left := deadline - loop.time()) > 0
        ):
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), left)
            except TimeoutError:
                return

    def _cycle(
        self,
        session: Session,
        *,
        results: list[Result],
        unsent: list[Claim],
        capacity: dict[str, int],
        free: int,
        holding: frozenset[int],
    ) -> tuple[list[Claim], datetime | None, bool | None]:
        """One transaction: record finished attempts, put back posts claimed ahead that will
        not be sent now, claim what is due (taking over what dead daemons held), find the
        next wake.

        At full capacity the next wake-up is a finished request, so the clock is left alone;
        only an idle drain asks whether anything is left.
        """
        now = self.now()
        record_results(session, results, self.worker, now)
        self._put_back(session, unsent)
        claims = claim_due(
            session,
            worker=self.worker,
            now=now,
            lease=self.settings.lease,
            capacity=capacity,
            limit=free,
            required_approvals=self.config.review.required_approvals,
            holding=holding,
            ended=self._heartbeat.ended,
        )
        if claims:  # their tokens, for their requests to go out at once
            self._stored.read_along(session, {claim.post_id: claim.channel for claim in claims})
        at_capacity = len(claims) >= free
        idle = not claims and free == self._most_held
        wake_at = None if at_capacity else next_wake(session, now=now, holding=holding)
        pending = pending_work(session, now=now) if self.drain and idle else None
        return claims, wake_at, pending

    @property
    def _most_held(self) -> int:
        """How many posts the daemon holds at most: half as many again as it sends at once
        are claimed ahead, so that a request that ends makes room for the next post at once,
        not at the next cycle, which waits for a batch of results (``_gather_more_results``)
        and then for the database. A channel's posts held, in flight or ahead, stay within its
        ``max_in_flight``.

        Why half, when three times as many in all (and a cycle for each batch as large as the
        concurrency) sent a fifth more a second in bench/dispatch.py, on a machine short of
        processor time: each claim records its attempts as started, so a daemon that dies
        leaves every post it held to be checked with its platform, or, where the platform
        offers no check, to a person. Half as many again bounds that at 1.5 times what it
        sends at once. At a platform's
        pace (200 ms an answer) it sends about as many: 149 posts a second against 151, where
        the bare loop sends 152 and the daemon sent 127 before it claimed ahead
        (bench/dispatch.py --latency-ms 200)."""
        concurrency = self.settings.concurrency
        return concurrency + (concurrency + 1) // 2

    def _holding(self) -> list[int]:
        """The posts this daemon holds: in flight, and claimed ahead."""
        return [*self._in_flight, *(claim.post_id for claim in self._ready)]

    def _start_ready(self) -> None:
        """Posts claimed ahead, sent in the order claimed while there is room."""
        clients = self._clients
        assert clients is not None  # set by run() before the first claim
        while (
            self._ready
            and len(self._in_flight) < self.settings.concurrency
            and not self._stopping.is_set()
        ):
            claim = self._ready.popleft()
            task = asyncio.create_task(self._publish(claim, clients.of(claim.channel)))
            self._in_flight[claim.post_id] = task

    def _hold_back(self, channel: str) -> None:
        """The channel's posts claimed ahead, not sent: it is inside a rate-limit window
        now. They are put back at the next cycle, and claimed again once the window ends."""
        held_back = [claim for claim in self._ready if claim.channel == channel]
        if held_back:
            self._ready = deque(claim for claim in self._ready if claim.channel != channel)
            self._set_aside(held_back)

    def _set_aside(self, claims: list[Claim]) -> None:
        """Claims taken from the ready ones, never to be sent: no longer held, and put back at
        the next transaction (``_put_back``)."""
        self._unsent += claims
        for claim in claims:
            self._held[claim.channel] -= 1
            self._heartbeat.done(claim.post_id)

    def _put_back(self, session: Session, unsent: list[Claim]) -> None:
        for claim in put_back(session, unsent, self.worker):
            log.info(
                "post %s: claimed but not sent: put back",
                claim.post_id,
                extra=attempt_context(claim),
            )

    async def _publish(self, claim: Claim, client: httpx.AsyncClient) -> None:
        sending_for.set(claim.post_id)  # this task's requests are for this post
        try:
            images = await self._job_images(claim)
            result = await attempt(
                claim,
                channel=self._channels[claim.channel],
                client=client,
                policy=self.policy,
                now=self.now,
                rng=self._rng,
                vault=self._vault,
                save_state=self._save_state,
                images=images,
            )
        except LeaseLost as lost:
            await self._drop(claim, str(lost))
            return
        except Exception as error:  # a bug of ours: the request may have gone out, so never resend
            trace = scrub(traceback.format_exc())  # an exception may quote a header or a URL
            log.error(
                "attempt at post %s failed inside Tidings\n%s",
                claim.post_id,
                trace,
                extra=attempt_context(claim),
            )
            result = internal_error_result(claim, error, self.now())
        try:
            self._results.append(result)
            self.summary.outcomes[result.decision.attempt_outcome] += 1
            log_attempt(result, self.worker)
            if result.decision.window_until is not None:
                self._hold_back(claim.channel)
        finally:
            self._done(claim)

    async def _drop(self, claim: Claim, note: str) -> None:
        """Another daemon took the post over while this one was paused: nothing more is sent,
        and the attempt says so beside what the takeover said."""
        context = attempt_context(claim)
        log.warning("post %s: attempt %s: %s", claim.post_id, claim.number, note, extra=context)
        try:
            await self._keep_books(partial(record_dropped, claim=claim, note=note, now=self.now()))
        except StorageUnavailable as error:
            log.error(
                "post %s: attempt %s: not noted (%s)",
                claim.post_id,
                claim.number,
                error,
                extra=context,
            )
        finally:
            self._done(claim)

    def _done(self, claim: Claim) -> None:
        self._held[claim.channel] -= 1
        del self._in_flight[claim.post_id]
        self._heartbeat.done(claim.post_id)
        self._start_ready()
        self._wake.set()

    async def _job_images(self, claim: Claim) -> tuple[JobImage, ...]:
        """The claim's images copied to the spool (one by one, on the database thread) and
        ready to upload."""
        for sha256 in self._spool.missing([each.image.sha256 for each in claim.images]):
            await self._keep_books(partial(self._spool.fill, sha256=sha256))
        return self._spool.job_images(claim.images, self._links, self.now())

    async def _ring(self) -> None:
        """The clock's job: a coroutine, so it runs on the event loop that owns the event."""
        self._wake.set()

    def _arm(self, clock: AsyncIOScheduler, wake_at: datetime | None) -> None:
        if wake_at is None:
            if clock.get_job("next-due"):
                clock.remove_job("next-due")
            return
        clock.add_job(
            self._ring,
            "date",
            run_date=max(wake_at, self.now()),
            id="next-due",
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )

    async def _save_state(self, post_id: int, state: Mapping[str, str]) -> None:
        await self._keep_books(
            partial(save_publish_state, post_id=post_id, worker=self.worker, state=state)
        )

    async def _keep_books(self, work: Callable[[Session], T]) -> T:
        """``work`` in a transaction, tried again while the database cannot take it; given up
        (StorageUnavailable) only once the daemon was told to stop a lease ago."""
        while True:
            try:
                done = await self._db(work)
            except StorageUnavailable as error:
                wait = self._outage.failed(error)
                stopped = self._stopped_at
                lease = self.settings.lease.total_seconds()
                if stopped is not None and time.monotonic() + wait > stopped + lease:
                    raise
                await asyncio.sleep(wait)
                continue
            self._outage.ended()
            return done

    async def _db(self, work: Callable[[Session], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._in_transaction, work)

    def _in_transaction(self, work: Callable[[Session], T]) -> T:
        with self.database.writing() as session:
            return work(session)


def run_forever(daemon: Daemon, install_signals: bool = True) -> RunSummary:
    """Run ``daemon`` on a fresh event loop; SIGTERM and SIGINT stop it cleanly."""

    async def main() -> RunSummary:
        if install_signals:
            import signal

            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, daemon.stop)
        return await daemon.run()

    return asyncio.run(main())
