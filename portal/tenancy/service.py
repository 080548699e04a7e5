"""Agencies and quotas: create, look up within the user's scope, set limits."""

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.core import audit
from portal.core.aftercommit import after_commit
from portal.core.errors import Forbidden, InvalidInput, NotFound
from portal.extensions import celery
from portal.tenancy.models import Agency, Quota
from portal.tenancy.permissions import agency_scope, can_manage_quotas, can_view_agency
from portal.tenancy.vocabulary import (
    AGENCY_KINDS,
    BUSINESS_DOMAINS,
    CHILD_KINDS,
    OUTSOURCING_MODES,
    QUOTA_RESOURCES,
)

# Named, not imported: provisioning builds on tenancy, not the other way round.
SYNC_PROJECT = "portal.provisioning.sync_project"
# Codes name the agency's cloud project (jiyun-<code>) and its demo logins.
CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
NAME_LIMITS = {"name_zh": 120, "name_en": 160}


def profile_errors(name_zh, name_en, domain, outsourcing_mode):
    """Field reasons for an agency's names, domain and outsourcing mode."""
    errors = {}
    for field, value in (("name_zh", name_zh), ("name_en", name_en)):
        if not isinstance(value, str) or not value.strip():
            errors[field] = _l("Enter the name.")
        elif len(value.strip()) > NAME_LIMITS[field]:
            errors[field] = _l("At most %(count)d characters.", count=NAME_LIMITS[field])
    if domain not in BUSINESS_DOMAINS:
        errors["domain"] = _l("Unknown business domain.")
    if outsourcing_mode not in OUTSOURCING_MODES:
        errors["outsourcing_mode"] = _l("Unknown outsourcing mode.")
    return errors


def create_agency(
    session,
    actor,
    *,
    code,
    name_zh,
    name_en,
    kind,
    domain,
    outsourcing_mode,
    parent=None,
    quotas=None,
):
    errors = profile_errors(name_zh, name_en, domain, outsourcing_mode)
    if not isinstance(code, str) or not CODE.fullmatch(code):
        errors["code"] = _l(
            "1-40 lowercase letters, digits and hyphens, starting with a letter or digit."
        )
    elif session.scalar(select(Agency.id).where(Agency.code == code)):
        errors["code"] = _l("This code is taken.")
    if kind not in AGENCY_KINDS:
        errors["kind"] = _l("Unknown agency kind.")
    elif parent is None and kind != "district":
        errors["parent_id"] = _l("Only the district has no parent.")
    elif parent is not None and kind not in CHILD_KINDS[parent.kind]:
        errors["kind"] = _l("This kind of agency cannot sit under that parent.")
    if errors:
        raise InvalidInput(_l("The agency cannot be created."), errors)
    agency = Agency(
        code=code,
        name_zh=name_zh.strip(),
        name_en=name_en.strip(),
        kind=kind,
        domain=domain,
        outsourcing_mode=outsourcing_mode,
        parent=parent,
    )
    session.add(agency)
    session.flush()
    agency.path = f"{parent.path if parent else '/'}{agency.id}/"
    for resource, limit in (quotas or {}).items():
        agency.quotas.append(Quota(resource=resource, limit=limit))
    session.flush()
    audit.record(
        session,
        actor,
        "agency.created",
        "agency",
        agency.id,
        agency_id=agency.id,
        after={
            "code": code,
            "kind": kind,
            "domain": domain,
            "outsourcing_mode": outsourcing_mode,
            "quotas": quotas or {},
        },
    )
    return agency


def visible_agencies(session, user):
    """Every agency the user may see, in tree order (ids compared as numbers)."""
    agencies = session.scalars(select(Agency).where(agency_scope(user, Agency.id))).all()
    return sorted(agencies, key=lambda agency: agency.ancestor_ids)


def get_visible_agency(session, user, agency_id):
    agency = session.get(Agency, agency_id)
    if agency is None or not can_view_agency(user, agency):
        # Same answer for "absent" and "not yours": ids of others are not confirmed.
        raise NotFound(_l("No such agency."))
    return agency


def children(session, agency):
    return session.scalars(
        select(Agency).where(Agency.parent_id == agency.id).order_by(Agency.code)
    ).all()


def parse_quota_limits(raw):
    """Quota limits from user input: resource → whole number, or None for "no limit"
    (an empty value). Resources not given are left out, so they stay as they are."""
    limits, errors = {}, {}
    for name, value in raw.items():
        if name not in QUOTA_RESOURCES:
            errors[name] = _l("Unknown quota resource.")
            continue
        text = "" if value is None else str(value).strip()
        if text == "":
            limits[name] = None
        elif not re.fullmatch(r"\d{1,8}", text) or int(text) > 10_000_000:
            errors[name] = _l("Enter a whole number from 0 to 10,000,000, or leave it empty.")
        else:
            limits[name] = int(text)
    if errors:
        raise InvalidInput(_l("The quotas were not saved."), errors)
    return limits


def set_quotas(session, actor, agency_id, limits):
    """Replace an agency's limits; None removes a limit."""
    if not can_manage_quotas(actor):
        raise Forbidden(_l("Only platform operators can set quotas."))
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(_l("No such agency."))
    before = agency.quota_limits()
    by_resource = {quota.resource: quota for quota in agency.quotas}
    for resource, limit in limits.items():
        quota = by_resource.get(resource)
        if limit is None and quota is not None:
            agency.quotas.remove(quota)
        elif limit is not None and quota is None:
            agency.quotas.append(Quota(resource=resource, limit=limit))
        elif limit is not None:
            quota.limit = limit
    session.flush()
    audit.record(
        session,
        actor,
        "agency.quotas_set",
        "agency",
        agency.id,
        agency_id=agency.id,
        before=before,
        after=agency.quota_limits(),
    )
    if agency.cloud_project_id:
        # The agency's cloud project enforces the same limits; a worker pushes them.
        agency_id = agency.id
        after_commit(session, lambda: celery.send_task(SYNC_PROJECT, args=[agency_id]))
    return agency
