"""What ``[notifications]`` names but the environment lacks: a mail server's password, or the
chat's webhook address. Each is found when the daemon starts and by ``tidings channels check``,
so that an operator reads one line about it then, rather than meeting every e-mail or chat
message as a failed delivery later. Only whether a variable is set is looked at, never its
value.
"""

from __future__ import annotations

import os

from drafts.config import NotificationSettings
from scheduler.notifications.smtp import MailServer, password_problem


def settings_problems(settings: NotificationSettings) -> list[str]:
    """One line for each secret ``settings`` needs from an environment variable that is not set."""
    problems: list[str] = []
    server = MailServer.of(settings)
    if server is not None and (problem := password_problem(server)):
        problems.append(problem + ": no e-mail can be sent")
    name = settings.chat_webhook_env
    if name and not os.environ.get(name, "").strip():
        problems.append(
            f"notifications.chat_webhook_env names {name}, which is not set: "
            "no chat message can be sent"
        )
    return problems
