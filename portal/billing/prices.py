"""Price list versions in the database, kept in step with billing/prices/*.yaml.

Loading is like the catalog's: every file is validated first and one bad file changes
nothing; revisions are kept as portal.core.versioned keeps them, so finance can see
every revision with who loaded it and why.
"""

from sqlalchemy import bindparam, select

from billing.metrics import DIMENSION_RULES
from billing.prices import load_price_lists
from portal.billing.models import PriceList
from portal.billing.states import SLA_TIER_LABELS
from portal.core.errors import InvalidInput
from portal.core.versioned import current_versions, sync_versions, version_history
from portal.tenancy.models import Agency
from portal.tenancy.vocabulary import AGENCY_KINDS, OUTSOURCING_MODES

SLA_TIERS = tuple(SLA_TIER_LABELS)


def load(directory):
    return load_price_lists(
        directory,
        metrics=DIMENSION_RULES,
        tiers=set(SLA_TIERS),
        agency_kinds=set(AGENCY_KINDS),
        outsourcing_modes=set(OUTSOURCING_MODES),
    )


def sync_price_lists(session, actor, directory, note=None):
    """Make the current price lists match the directory; raises PriceListInvalid (or
    InvalidInput for an unknown agency code) and changes nothing on bad input."""
    definitions = load(directory)
    _check_agencies(session, definitions)
    return sync_versions(session, actor, PriceList, definitions, kind="price_list", note=note)


def current_price_lists(session):
    """The revisions in force, by effective date."""
    return current_versions(session, PriceList)


# What pricing reads, on the session's connection: every order's budget check prices
# it, and an ORM query cost that check most of its time. A loaded revision never
# changes (a sync adds a new one), so its definition is read and parsed once per
# process, named by its digest. Built once, at import.
_DIGESTS_IN_FORCE = (
    select(PriceList.digest)
    .where(PriceList.superseded_at.is_(None), PriceList.withdrawn_at.is_(None))
    .order_by(PriceList.effective_from)
)
_DEFINITIONS = select(PriceList.digest, PriceList.definition).where(
    PriceList.digest.in_(bindparam("digests", expanding=True))
)
_definitions_by_digest = {}


def price_definitions_in_force(session):
    """The definitions of the revisions in force, by effective date (shared: read only)."""
    connection = session.connection()
    digests = connection.scalars(_DIGESTS_IN_FORCE).all()
    missing = [digest for digest in digests if digest not in _definitions_by_digest]
    if missing:
        _definitions_by_digest.update(connection.execute(_DEFINITIONS, {"digests": missing}).all())
    return [_definitions_by_digest[digest] for digest in digests]


def price_list_history(session):
    """Every revision ever loaded, newest first."""
    return version_history(session, PriceList)


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
