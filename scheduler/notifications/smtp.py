"""E-mail through the configured mail server, with the standard library's ``smtplib``.

``smtp://host:port`` speaks plain SMTP and upgrades to TLS with STARTTLS when the server offers
it; ``?starttls=require`` refuses a server that does not. ``smtps://`` is TLS from the first
byte (RFC 8314). ``user@`` logs in with the password in the environment variable
``smtp_password_env`` names, which is read when a message is sent, remembered as a secret (so
no error or log line quotes it) and never stored.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

from drafts.config import NotificationSettings
from scheduler.credentials import remember
from scheduler.notifications.messages import Message

SMTP_PORT, SMTPS_PORT = 25, 465


class MailError(Exception):
    """The mail could not be handed to the server; the words are safe to log."""


@dataclass(frozen=True)
class MailServer:
    host: str
    port: int
    implicit_tls: bool
    require_starttls: bool
    user: str | None
    password_env: str | None

    @classmethod
    def of(cls, settings: NotificationSettings) -> MailServer | None:
        """The server ``settings`` names (its ``smtp_url`` was checked with the config), or None."""
        if settings.smtp_url is None:
            return None
        parts = urlsplit(settings.smtp_url)
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname or "",
            port=parts.port or (SMTPS_PORT if implicit else SMTP_PORT),
            implicit_tls=implicit,
            require_starttls=parts.query == "starttls=require",
            user=unquote(parts.username) if parts.username else None,
            password_env=settings.smtp_password_env,
        )


def email_message(message: Message, *, sender: str, to: str) -> EmailMessage:
    """``message`` as an e-mail in UTF-8 (a Korean subject is encoded as RFC 2047 says)."""
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = sender
    email["To"] = to
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip(" >") or None)
    email.set_content(message.body, charset="utf-8")
    return email


def send_mail(server: MailServer, email: EmailMessage, *, timeout: float) -> None:
    """Hand ``email`` to ``server``; ``MailError`` says why it was not taken."""
    password = _password(server)
    context = ssl.create_default_context()
    try:
        if server.implicit_tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                server.host, server.port, timeout=timeout, context=context
            )
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=timeout)
        with client:
            if not server.implicit_tls:
                client.ehlo()
                if client.has_extn("starttls"):
                    client.starttls(context=context)
                    client.ehlo()
                elif server.require_starttls:
                    raise MailError(f"{server.host}:{server.port} does not offer STARTTLS")
            if server.user is not None:
                client.login(server.user, password)
            client.send_message(email)
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(f"{server.host}:{server.port}: {_said(error)}") from None


def _password(server: MailServer) -> str:
    if server.user is None:
        return ""
    if problem := password_problem(server):
        raise MailError(problem)
    password = os.environ[server.password_env or ""]
    remember(password)
    return password


def password_problem(server: MailServer) -> str | None:
    """Why the server's login has no password (None: it has one, or logs in as nobody)."""
    name = server.password_env
    if server.user is None or (name and os.environ.get(name)):
        return None
    missing = f"{name} is not set" if name else "notifications.smtp_password_env is not given"
    return f"notifications.smtp_url logs in as {server.user}, but {missing}"


def _said(error: BaseException) -> str:
    """What went wrong, in a line: the server's reply, or the system's reason."""
    if isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        return f"{error.smtp_code} {' '.join(text.split())}"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return " ".join(str(error).split()) or type(error).__name__
