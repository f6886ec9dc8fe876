"""The errors Tidings raises for anything a user can get wrong, or meet.

    TidingsError             any error a user can act on; its message is one line that names the field
    ├── BackupError          a backup or a restore that cannot be made, named by its file (drafts.backups)
    ├── ConfigError          config.toml, environment variables, the database URL or schema
    │   └── MissingSecret        a channel is not connected, and names no variable that is set (scheduler.credentials)
    ├── DraftError           a draft file, its fields, templates, languages or channels
    │   ├── CsvError             a CSV file to import, with every row's problems (drafts.csv_import)
    │   └── MediaError           an image that cannot be taken, named by its file (drafts.media_store)
    ├── ReviewError          a transition the review workflow forbids, or a role that may not act
    │   └── StaleReview          the draft changed since the reviewer read it (drafts.review)
    ├── ScheduleError        a bad time, timezone or slot, or a time the draft cannot take
    ├── CursorError          a list's --after or ?after= that no page of that list made (drafts.keyset)
    ├── NotFoundError        an unknown draft, post or user
    ├── PlatformError        a platform refused a channel's credentials or could not be reached
    │   ├── ChannelCheckError    the channel's identity check failed (scheduler.platforms.base)
    │   ├── ConnectError         connecting an account or renewing its token failed (scheduler.connect.base)
    │   └── SessionError         no Bluesky session could be had (scheduler.platforms.bluesky_sessions)
    ├── SandboxError         the sandbox was asked for a fault it cannot inject, or did not start
    │   ├── FaultError           a fault description it cannot use (scheduler.sandbox.faults)
    │   └── SandboxStartError    its server did not come up (scheduler.sandbox.server)
    └── StorageError         the database refused or could not carry out an operation
        └── StorageUnavailable   it cannot for now: the disk is full, the file read-only, ...

The subclasses named with a module live beside the code that raises them. Anything else that
escapes is a bug.

An error carries its message as made (``drafts.messages``): ``str(error)`` is the English line
the command line prints, ``error.message`` the structured value the web tells in the viewer's
language.
"""

from __future__ import annotations

from drafts.messages import Message, Problem, Problems, Said


class TidingsError(Exception):
    """An error the user can act on; ``str(error)`` is one clear line."""

    def __init__(self, message: Message = "") -> None:
        super().__init__(message)

    @property
    def message(self) -> Message:
        """What the error says, as it was made (a subclass may have made a plain line)."""
        made = self.args[0] if self.args else ""
        return made if isinstance(made, str | Said | Problem | Problems) else str(self)


class ConfigError(TidingsError):
    """The configuration, the environment or the database setup is wrong."""


class DraftError(TidingsError):
    """A draft file or draft content is wrong."""


class ReviewError(TidingsError):
    """The review workflow forbids this transition or this actor."""


class ScheduleError(TidingsError):
    """A time, timezone or slot is wrong, or the draft cannot be scheduled there."""


class NotFoundError(TidingsError):
    """A named draft, post or user does not exist."""


class PlatformError(TidingsError):
    """A platform refused a channel's credentials or could not be reached; the message says
    which channel and what the platform answered."""


class SandboxError(TidingsError):
    """The sandbox cannot do what it was asked (an unusable fault) or did not start."""


class StorageError(TidingsError):
    """The database refused or could not carry out an operation; said without SQL or values."""


class StorageUnavailable(StorageError):
    """The database cannot carry out any work for now (the disk is full, the file is read-only
    or locked, the server is unreachable): nothing was changed, and the same work may succeed
    once that is fixed."""
