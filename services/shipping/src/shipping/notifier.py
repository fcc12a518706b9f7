"""The sender: mails pending notifications over SMTP and marks them sent.

One row per transaction, claimed with FOR UPDATE SKIP LOCKED so that several instances
share the work without mailing a row twice. A pass sends everything due over one SMTP
connection (opening one per mail cost more CPU than the mail itself); a connection that
failed is dropped and the next mail opens a new one. The lock is held while the SMTP conversation
runs; a crash between the server's acceptance and our commit resends that one mail (at
least once; the Message-ID is stable so mail clients can spot the duplicate). A failure
keeps the row pending with attempts + 1 and an exponential backoff; after
`notify_max_attempts` it is `failed` (POST /notifications/{id}/retry sends it again).
A mail with a status link keeps the link's token in `secret` until it is sent: the sender
puts the link in place of the body's placeholder and empties `secret` in the same commit,
so the database ends up with the token's hash only.

What it costs when there is little to do: the statement that marks a mail sent also says
whether another one is due, so a pass ends without a transaction that finds nothing; and a
poll that was not woken first asks whether anything is due at all, in one statement without
a transaction (`anything_due`), before it claims."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import smtplib
from email.charset import Charset
from email.message import EmailMessage, Message
from email.mime.text import MIMEText

from sqlalchemy import text

from eventkit import Runtime, is_transient
from shipping import repository as repo
from shipping.domain.notification import STATUS_LINK
from shipping.status_links import link_url

log = logging.getLogger("shipping.notifier")

_CLAIM = text(
    "SELECT notification_id, to_addr, subject, body, attempts, secret FROM notifications "
    "WHERE status = 'pending' AND next_attempt_at <= now() "
    "ORDER BY next_attempt_at, created_at LIMIT 1 FOR UPDATE SKIP LOCKED"
)
# Marked sent, and whether another mail is due as the statement runs (statement_timestamp:
# the transaction's now() is from before the SMTP conversation); the row itself is still
# pending in the statement's snapshot. Rows another sender holds count too: the next claim
# skips them and the pass ends.
_SENT = text(
    "UPDATE notifications SET status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = NULL, "
    "secret = NULL WHERE notification_id = :id "
    "RETURNING EXISTS (SELECT FROM notifications WHERE status = 'pending' AND next_attempt_at <= statement_timestamp() "
    "AND notification_id <> :id) AS more_due"
)
_FAILED = text(
    "UPDATE notifications SET attempts = attempts + 1, last_error = :error, "
    "status = CASE WHEN attempts + 1 >= :max_attempts THEN 'failed' ELSE 'pending' END, "
    "next_attempt_at = now() + make_interval(secs => :delay) WHERE notification_id = :id"
)
_ANYTHING_DUE = text("SELECT EXISTS (SELECT FROM notifications WHERE status = 'pending' AND next_attempt_at <= now())")


def wakeup(rt: Runtime) -> asyncio.Event:
    """Set after a commit that created a pending notification, so it goes out at once."""
    return rt.extras.setdefault("notifications_due", asyncio.Event())


def backoff(attempts: int, initial: float, maximum: float) -> float:
    """Delay before the next try after `attempts` failed tries (1, 2, 4, ... capped)."""
    return min(initial * (2 ** max(attempts - 1, 0)), maximum)


# UTF-8 text sent as it is: 7bit when ASCII, else 8bit, as EmailMessage.set_content chose
# for our short lines.
_UTF8_AS_IS = Charset("utf-8")
_UTF8_AS_IS.body_encoding = None


def _message(sender: str, row, public_base_url: str) -> Message:
    body = row.body
    if row.secret:  # the private status link, kept out of the stored body (dropped once sent)
        body = body.replace(STATUS_LINK, link_url(public_base_url, row.secret))
    if not (sender + row.to_addr).isascii():
        # An internationalized address needs the modern policy (SMTPUTF8 when the server offers it).
        msg: Message = EmailMessage()
        msg.set_content(body)
    else:
        # The classic MIMEText: the modern policy's header parsing cost more CPU (about 1 ms a
        # mail) than the rest of sending it; the same text on the wire, non-ASCII subjects
        # RFC 2047-encoded alike.
        msg = MIMEText(body, "plain", _UTF8_AS_IS)
    msg["From"] = sender
    msg["To"] = row.to_addr
    msg["Subject"] = row.subject
    msg["Message-ID"] = f"<{row.notification_id}@batchflow.shipping>"
    return msg


class _Connection:
    """The pass's SMTP connection, used from worker threads one call at a time: opened for the
    first mail, reused for the next ones (a NOOP first: a server that hung up in between
    gets a new connection rather than a failed mail), dropped after any failure (its state
    is unknown), closed when the pass ends."""

    def __init__(self, host: str, port: int, timeout: float):
        self._host, self._port, self._timeout = host, port, timeout
        self._smtp: smtplib.SMTP | None = None

    def send(self, msg: Message) -> None:
        if self._smtp is not None:
            try:
                code, _ = self._smtp.noop()
            except (smtplib.SMTPException, OSError):
                code = 0
            if code != 250:
                self._drop()
        if self._smtp is None:
            self._smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
        try:
            self._smtp.send_message(msg)
        except BaseException:
            self._drop()
            raise

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.close()

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            # Whatever the server says to QUIT, the mails of the pass were accepted already.
            with contextlib.suppress(Exception):
                smtp.quit()
            smtp.close()


async def send_due(rt: Runtime) -> int:
    """Send every notification that is due now, over one SMTP connection; returns how many were sent."""
    s = rt.settings
    sent = 0
    smtp = _Connection(s.smtp_host, s.smtp_port, s.smtp_timeout)
    try:
        more_due = True
        while more_due:
            # One mail per transaction: its row stays locked while it is mailed, and the commit
            # that marks it sent covers that one mail only.
            async with rt.engine.connect() as conn, conn.begin():
                row = (await conn.execute(_CLAIM)).first()
                if row is None:
                    return sent
                try:
                    msg = _message(s.smtp_from, row, s.public_base_url)
                    await asyncio.to_thread(smtp.send, msg)
                except Exception as exc:  # SMTP refused, unreachable, timed out: retry later
                    delay = backoff(row.attempts + 1, s.notify_backoff_initial, s.notify_backoff_max)
                    log.warning("notification %s to %s failed (attempt %d, next in %.0fs): %s",
                                row.notification_id, row.to_addr, row.attempts + 1, delay, exc)
                    await conn.execute(_FAILED, {"id": row.notification_id, "error": str(exc)[:500] or repr(exc),
                                                 "delay": delay, "max_attempts": s.notify_max_attempts})
                    more_due = True  # claim again: the next one, or this one if its short backoff ran out meanwhile
                else:
                    more_due = (await conn.execute(_SENT, {"id": row.notification_id})).scalar_one()
                    sent += 1
        return sent
    finally:
        await asyncio.to_thread(smtp.close)


async def anything_due(rt: Runtime) -> bool:
    """Whether a pending notification is due: one statement, no transaction (a poll that finds
    nothing, the usual case, costs no more)."""
    async with repo.reads(rt).connect() as conn:
        return (await conn.execute(_ANYTHING_DUE)).scalar_one()


async def send_notifications(rt: Runtime) -> None:
    """Background job: send what is due, then sleep until woken or the poll interval passes.
    Woken (a commit queued a mail), it claims at once; after a quiet interval it first asks
    whether anything is due (mails queued by the event handlers, other instances' work,
    retries whose backoff ran out, confirmations whose wait for the date ran out)."""
    due = wakeup(rt)
    woken = True  # at start: whatever is due
    while True:
        due.clear()
        try:
            if woken or await anything_due(rt):
                await send_due(rt)
        except Exception as exc:
            # The database being away is expected now and then; anything else is a bug
            # worth a stack trace, but must not stop the sender either.
            if is_transient(exc):
                log.warning("notifications: database unavailable: %s", exc)
            else:
                log.exception("notifications: sender pass failed")
        try:
            await asyncio.wait_for(due.wait(), timeout=rt.settings.notify_poll_interval)
            woken = True
        except asyncio.TimeoutError:
            woken = False
