"""SLA definitions in the database, kept in step with catalog/slas/*.yaml, and what an
incident's clocks and a resource's availability need from a revision: the terms of a
tier, as the contract of the vendor serving it may have changed them, the service
calendar and the targets of a priority."""

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


def terms_for(definition, tier, contract=None):
    """A tier's terms in a revision (a SlaDefinition): availability, calendar, priorities
    and credit, with those the contract (a contract number, or None) sets replacing the
    tier's."""
    spec = definition.definition
    own = spec.get("contracts", {}).get(contract, {}).get(tier, {})
    return {**spec["tiers"][tier], **own}


def contracts_with_terms(session, contracts, moment):
    """[(contract, [(tier, its terms, the keys the contract sets)])] for the contracts
    that set terms of their own in the revision in effect at `moment` (none when no
    revision is loaded yet)."""
    try:
        definition = sla_in_effect(session, moment)
    except Conflict:
        return []
    found = []
    for contract in contracts:
        own = definition.definition.get("contracts", {}).get(contract.number, {})
        tiers = [
            (tier, terms_for(definition, tier, contract.number), set(own[tier]))
            for tier in SLA_TIER_LABELS
            if tier in own
        ]
        if tiers:
            found.append((contract, tiers))
    return found


def calendar_for(definition, tier, contract=None):
    """The service calendar of a tier (under a contract) in a revision. Built once per
    content digest: a revision never changes, and a calendar caches its days."""
    name = terms_for(definition, tier, contract)["calendar"]
    key = (definition.digest, name)
    if key not in _CALENDARS:
        _CALENDARS[key] = calendar_from_spec(definition.definition["calendars"][name])
    return _CALENDARS[key]


def targets_for(definition, tier, priority, contract=None):
    """(response seconds, resolution seconds) of a priority in a tier (under a contract)."""
    target = terms_for(definition, tier, contract)["priorities"][priority]
    return target["response_seconds"], target["resolution_seconds"]


def warn_at(definition):
    """The share of a clock at which an incident is escalated."""
    return float(definition.definition["escalation"]["warn_at"])
