"""Notifications: from a recorded event (``drafts.notification_events``) to a sent message.

The daemon drains them beside publishing, never in its way: it fans each new event out into
one delivery per recipient (``fan_out``), claims the deliveries that are due (``outbox``),
renders each in its recipient's language and timezone (``messages``), sends it by e-mail
(``smtp``) or to the team's chat (``chat``) off the database thread and off the event loop
(``sending``), and records the outcome, retrying with backoff. It also records the events
nobody else produces: a connected credential about to lapse (``expiring``).
"""
