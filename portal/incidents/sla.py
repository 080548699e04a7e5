"""SLA definitions in the database, kept in step with catalog/slas/*.yaml, and what an
incident's clocks need from the revision in force when it was opened: the tier's
service calendar and the targets of its priority."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from catalog.sla import load_sla_definitions
from portal.billing.states import SLA_TIER_LABELS
from portal.core.errors import Conflict
from portal.core.versioned import current_versions, sync_versions, version_history
from portal.incidents.calendar_spec import calendar_from_spec
from portal.incidents.models import SlaDefinition

_CALENDARS = {}


def sync_sla_definitions(session, actor, directory, note=None):
    """Validate every file (raises CatalogInvalid, changing nothing) and make the
    current revisions match them."""
    definitions = load_sla_definitions(directory, set(SLA_TIER_LABELS))
    return sync_versions(
        session, actor, SlaDefinition, definitions, kind="sla_definition", note=note
    )


def current_sla_definitions(session):
    return current_versions(session, SlaDefinition)


def sla_history(session):
    return version_history(session, SlaDefinition)


def sla_in_effect(session, moment):
    """The current revision in effect at `moment`, or a Conflict saying what to load."""
    row = session.scalar(
        select(SlaDefinition)
        .where(
            SlaDefinition.superseded_at.is_(None),
            SlaDefinition.withdrawn_at.is_(None),
            SlaDefinition.effective_from <= moment,
        )
        .order_by(SlaDefinition.effective_from.desc())
        .limit(1)
    )
    if row is None:
        raise Conflict(
            _l(
                "No SLA definition is in effect: load catalog/slas with "
                "`flask --app portal catalog sync`."
            )
        )
    return row


def calendar_for(definition, tier):
    """The service calendar of a tier in a revision (a SlaDefinition). Built once per
    content digest: a revision never changes, and a calendar caches its days."""
    key = (definition.digest, tier)
    if key not in _CALENDARS:
        spec = definition.definition
        _CALENDARS[key] = calendar_from_spec(spec["calendars"][spec["tiers"][tier]["calendar"]])
    return _CALENDARS[key]


def targets_for(definition, tier, priority):
    """(response seconds, resolution seconds) of a priority in a tier."""
    target = definition.definition["tiers"][tier]["priorities"][priority]
    return target["response_seconds"], target["resolution_seconds"]


def warn_at(definition):
    """The share of a clock at which an incident is escalated."""
    return float(definition.definition["escalation"]["warn_at"])
