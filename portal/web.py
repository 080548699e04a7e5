"""What every page template can use: localized text, labels, the navigation."""

import json
from decimal import Decimal
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import get_locale, gettext
from flask_login import current_user

from billing.metrics import METRICS
from portal.accounts.roles import Role
from portal.billing.documents import hours
from portal.billing.states import LINE_KINDS, SLA_TIER_LABELS
from portal.catalog.models import localized
from portal.extensions import db
from portal.incidents.actions import may_open_incidents
from portal.incidents.states import PRIORITIES, SOURCES, IncidentState
from portal.inventory.states import LIFECYCLE_KINDS, ResourceState
from portal.notifications.service import unread_count
from portal.orders.states import EVENT_LABELS, OrderState, StepState
from portal.provisioning.states import OPERATION_EVENTS, OPERATION_KINDS, STEP_ACTIONS
from portal.tenancy.vocabulary import (
    AGENCY_KINDS,
    BUSINESS_DOMAINS,
    OUTSOURCING_MODES,
    QUOTA_RESOURCES,
)
from portal.vendors.permissions import can_browse_vendors


def is_local_url(target):
    """Only paths on this site are followed after login or a language switch."""
    if not target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/")


def quota_label(resource):
    """ "Memory (GB)": the label with its unit, in the language's own brackets."""
    label, unit = QUOTA_RESOURCES[resource]
    return gettext("%(label)s (%(unit)s)", label=label, unit=unit) if unit else str(label)


def quota_list(amounts, prefix=""):
    """Resource amounts in the fixed quota order, e.g. "vCPUs 2, Memory 4 GB"."""
    parts = []
    for resource, (label, unit) in QUOTA_RESOURCES.items():
        if resource in amounts:
            amount = f"{prefix}{amounts[resource]}{' ' + unit if unit else ''}"
            parts.append(f"{label} {amount}")
    return gettext(", ").join(parts)


def readable_json(value):
    """JSON as people read it: Chinese stays Chinese (the template escapes HTML)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def money(value):
    """1234567.8 → "1,234,567.80" (yuan; the page says the unit)."""
    return "" if value is None else f"{value:,.2f}"


def unit_hours(quantity):
    """Unit-seconds as unit-hours with at most four places: 5400 → "1.5"."""
    if quantity is None:
        return ""
    return f"{hours(quantity).normalize():,f}"


def share_percent(share):
    """A share kept as an exact decimal string as a percentage: "0.025" → "2.5"."""
    return f"{(Decimal(share) * 100).normalize():f}"


def register_template_helpers(app):
    app.add_template_filter(readable_json)
    app.add_template_filter(money)
    app.add_template_filter(unit_hours)
    app.add_template_filter(share_percent)

    @app.context_processor
    def _helpers():
        # Babel names Simplified Chinese zh_Hans_CN; the portal's setting says zh_CN.
        locale = "zh_CN" if str(get_locale() or "zh").startswith("zh") else "en"
        return {
            "locale": locale,
            "languages": current_app.config["LANGUAGES"],
            "text": lambda value: localized(value, locale) if isinstance(value, dict) else value,
            "agency_name": lambda agency: agency.name(locale) if agency else "",
            "Role": Role,
            "can_browse_vendors": can_browse_vendors,
            "OrderState": OrderState,
            "StepState": StepState,
            "EVENT_LABELS": EVENT_LABELS,
            "AGENCY_KINDS": AGENCY_KINDS,
            "BUSINESS_DOMAINS": BUSINESS_DOMAINS,
            "OUTSOURCING_MODES": OUTSOURCING_MODES,
            "QUOTA_RESOURCES": QUOTA_RESOURCES,
            "quota_label": quota_label,
            "quota_list": quota_list,
            "ResourceState": ResourceState,
            "unread_notices": lambda: unread_count(db.session, current_user),
            "LIFECYCLE_KINDS": LIFECYCLE_KINDS,
            "ACTION_LABELS": OPERATION_KINDS,
            "STEP_ACTIONS": STEP_ACTIONS,
            "OPERATION_EVENTS": OPERATION_EVENTS,
            "METRICS": METRICS,
            "LINE_KINDS": LINE_KINDS,
            "SLA_TIER_LABELS": SLA_TIER_LABELS,
            "IncidentState": IncidentState,
            "PRIORITIES": PRIORITIES,
            "INCIDENT_SOURCES": SOURCES,
            "may_open_incidents": may_open_incidents,
        }
