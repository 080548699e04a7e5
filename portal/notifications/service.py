"""Notify users: a row each (flushed with the change that caused it), and an email
sent after the commit when SMTP is configured. The texts come in both languages,
because the reader's language is only known when they read."""

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import func, select, update

from portal.core.aftercommit import after_commit
from portal.core.db import utcnow
from portal.notifications.models import Notification

log = logging.getLogger(__name__)


def _in(locale, text, params):
    with force_locale(locale):
        return gettext(text, **params)


def notify(session, users, subject, body="", *, link=None, **params):
    """Tell each user. `subject` and `body` are message ids (English, translated
    here into both languages) with %(name)s parameters."""
    mails = []
    for user in users:
        notice = Notification(
            user_id=user.id,
            subject_zh=_in("zh_CN", subject, params),
            subject_en=_in("en", subject, params),
            body_zh=_in("zh_CN", body, params) if body else "",
            body_en=_in("en", body, params) if body else "",
            link=link,
        )
        session.add(notice)
        if user.email:
            mails.append((user.email, notice.subject_zh, f"{notice.body_zh}\n\n{notice.body_en}"))
    if mails and current_app.config["SMTP_HOST"]:
        config = dict(current_app.config)
        after_commit(session, lambda: _send(config, mails))


def _send(config, mails):
    try:
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=10) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls()
            if config["SMTP_USER"]:
                smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
            for address, subject, body in mails:
                message = EmailMessage()
                message["From"], message["To"], message["Subject"] = (
                    config["SMTP_FROM"],
                    address,
                    subject,
                )
                message.set_content(body)
                smtp.send_message(message)
    except (OSError, smtplib.SMTPException):
        # The notice is in the portal either way; mail is a courtesy.
        log.exception("could not send %d notification email(s)", len(mails))


def unread_count(session, user):
    return session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    )


def recent(session, user, limit=50):
    return session.scalars(
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.id.desc())
        .limit(limit)
    ).all()


def mark_all_read(session, user):
    session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
