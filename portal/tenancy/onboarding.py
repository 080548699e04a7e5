"""The platform team onboards an agency under its parent and keeps its profile (names,
business domain, outsourcing mode) true. Its code, kind and place in the tree stay as
made: the code names its cloud project, and its place decides who sees its resources."""

from flask_babel import lazy_gettext as _l

from portal.core import audit
from portal.core.errors import Forbidden, InvalidInput, NotFound
from portal.tenancy.models import Agency
from portal.tenancy.permissions import can_manage_agencies
from portal.tenancy.service import create_agency, profile_errors

PROFILE = ("name_zh", "name_en", "domain", "outsourcing_mode")


def _require_manager(actor):
    if not can_manage_agencies(actor):
        raise Forbidden(_l("Only platform operators can add agencies or change them."))


def add_agency(session, actor, *, parent_id, code, name_zh, name_en, kind, domain, mode):
    """A new agency under PARENT_ID (the district's own kind has none)."""
    _require_manager(actor)
    parent = session.get(Agency, parent_id) if parent_id else None
    if parent_id and parent is None:
        reason = {"parent_id": _l("No such agency.")}
        raise InvalidInput(_l("The agency cannot be created."), reason)
    return create_agency(
        session,
        actor,
        code=(code or "").strip(),
        name_zh=name_zh,
        name_en=name_en,
        kind=kind,
        domain=domain,
        outsourcing_mode=mode,
        parent=parent,
    )


def change_agency(session, actor, agency_id, **changes):
    """Change any of the profile's fields; what is not given stays."""
    _require_manager(actor)
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(_l("No such agency."))
    unknown = set(changes) - set(PROFILE)
    if unknown:
        raise InvalidInput(
            _l("The agency was not changed."),
            {name: _l("This cannot be changed.") for name in sorted(unknown)},
        )
    before = {name: getattr(agency, name) for name in PROFILE}
    after = {**before, **changes}
    for name in ("name_zh", "name_en"):
        if isinstance(after[name], str):
            after[name] = after[name].strip()
    errors = profile_errors(*(after[name] for name in PROFILE))
    if errors:
        raise InvalidInput(_l("The agency was not changed."), errors)
    changed = {name for name in PROFILE if after[name] != before[name]}
    if not changed:
        return agency
    for name in changed:
        setattr(agency, name, after[name])
    session.flush()
    audit.record(
        session,
        actor,
        "agency.changed",
        "agency",
        agency.id,
        agency_id=agency.id,
        before={name: before[name] for name in sorted(changed)},
        after={name: after[name] for name in sorted(changed)},
    )
    return agency
