"""The maintenance window: local time (Asia/Shanghai, the district's) when a real run of a
low or medium risk playbook starts without a platform operator's approval. Configured as
MAINTENANCE_WINDOW (default 22:00-06:00, across midnight) and MAINTENANCE_WEEKENDS
(default true: Saturdays and Sundays all day)."""

from datetime import time

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.billing.periods import BILLING_ZONE


def window(app=None):
    """(start, end, weekends) of the maintenance window; the end may be the next day."""
    config = (app or current_app).config
    text = str(config["MAINTENANCE_WINDOW"])
    try:
        start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError as error:
        raise ValueError(f"MAINTENANCE_WINDOW is {text!r}, not like 22:00-06:00") from error
    return start, end, bool(config["MAINTENANCE_WEEKENDS"])


def in_window(moment, app=None):
    start, end, weekends = window(app)
    local = moment.astimezone(BILLING_ZONE)
    if weekends and local.weekday() >= 5:
        return True
    now = local.time()
    return start <= now < end if start <= end else (now >= start or now < end)


def window_text(app=None):
    start, end, weekends = window(app)
    span = f"{start:%H:%M}-{end:%H:%M}"
    return _l("%(span)s and weekends", span=span) if weekends else span
