"""Price list versions in the database, kept in step with billing/prices/*.yaml.

Loading is like the catalog's: every file is validated first and one bad file changes
nothing. A changed file becomes a new revision of its version, a removed one is marked
withdrawn; nothing is deleted, so finance can see every revision with who loaded it
and why.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from billing.metrics import METRICS
from billing.prices import digest, load_price_lists
from portal.billing.models import PriceList
from portal.billing.states import SLA_TIER_LABELS
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import InvalidInput
from portal.tenancy.models import Agency
from portal.tenancy.vocabulary import AGENCY_KINDS, OUTSOURCING_MODES

SLA_TIERS = tuple(SLA_TIER_LABELS)


@dataclass
class PriceSyncReport:
    created: list = field(default_factory=list)
    revised: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    withdrawn: list = field(default_factory=list)


def load(directory):
    return load_price_lists(
        directory,
        metrics={key: metric.dimension is not None for key, metric in METRICS.items()},
        tiers=set(SLA_TIERS),
        agency_kinds=set(AGENCY_KINDS),
        outsourcing_modes=set(OUTSOURCING_MODES),
    )


def sync_price_lists(session, actor, directory, note=None):
    """Make the current price lists match the directory; raises PriceListInvalid (or
    InvalidInput for an unknown agency code) and changes nothing on bad input."""
    definitions = load(directory)
    _check_agencies(session, definitions)
    report, now = PriceSyncReport(), utcnow()
    current = {row.version: row for row in current_price_lists(session)}
    for definition in definitions:
        version, fingerprint = definition["version"], digest(definition)
        previous = current.pop(version, None)
        if previous is not None and previous.digest == fingerprint:
            report.unchanged.append(version)
            continue
        revision = 1
        if previous is not None:
            previous.superseded_at = now
            revision = previous.revision + 1
            report.revised.append(version)
        else:
            revision += _revisions_so_far(session, version)
            report.created.append(version)
        session.add(
            PriceList(
                version=version,
                revision=revision,
                effective_from=_effective_from(definition),
                definition=definition,
                digest=fingerprint,
                note=note,
                loaded_by_id=actor.id if actor else None,
            )
        )
        audit.record(
            session,
            actor,
            "price_list.loaded",
            "price_list",
            f"{version}#{revision}",
            before={"digest": previous.digest} if previous else None,
            after={"digest": fingerprint, "effective_from": definition["effective_from"]},
            note=note,
        )
    for version, row in sorted(current.items()):
        row.withdrawn_at = now
        report.withdrawn.append(version)
        audit.record(
            session, actor, "price_list.withdrawn", "price_list", f"{version}#{row.revision}"
        )
    session.flush()
    return report


def current_price_lists(session):
    """The revisions in force, by effective date."""
    return list(
        session.scalars(
            select(PriceList)
            .where(PriceList.superseded_at.is_(None), PriceList.withdrawn_at.is_(None))
            .order_by(PriceList.effective_from)
        )
    )


def price_list_history(session):
    """Every revision ever loaded, newest first."""
    return list(
        session.scalars(
            select(PriceList).order_by(PriceList.effective_from.desc(), PriceList.revision.desc())
        )
    )


def _revisions_so_far(session, version):
    return len(session.scalars(select(PriceList.id).where(PriceList.version == version)).all())


def _effective_from(definition):
    return datetime.fromisoformat(definition["effective_from"])


def _check_agencies(session, definitions):
    known = set(session.scalars(select(Agency.code)))
    unknown = sorted(
        f"{definition['version']}: agencies.{code}"
        for definition in definitions
        for code in definition.get("agencies", {})
        if code not in known
    )
    if unknown:
        raise InvalidInput(
            "negotiated rates for agencies that do not exist: " + ", ".join(unknown),
            {"agencies": ", ".join(unknown)},
        )
