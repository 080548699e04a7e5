"""Agencies within the caller's scope, their quotas and usage."""

from portal.api.agency_schemas import AgencyChangeIn, AgencyIn
from portal.api.base import Blueprint, actor, authenticate_request
from portal.api.schemas import AgencyDetailOut, AgencyOut, QuotaLimitsIn
from portal.extensions import db
from portal.orders.quota import headroom, subtree_usage
from portal.tenancy import onboarding, service

blp = Blueprint(
    "api_agencies", __name__, url_prefix="/api/v1/agencies", description="Agencies and quotas"
)
blp.before_request(authenticate_request)


def _detail(agency):
    limits = agency.quota_limits()
    usage = subtree_usage(db.session, agency)
    room = headroom(db.session, agency)
    lines = [
        {
            "resource": resource,
            "limit": limits.get(resource),
            "used": usage.get(resource, 0),
            "remaining": room[resource][0] if room[resource] else None,
        }
        for resource in room
    ]
    return {**AgencyOut().dump(agency), "quotas": lines}


@blp.get("")
@blp.response(200, AgencyOut(many=True))
def agencies():
    return service.visible_agencies(db.session, actor())


@blp.post("")
@blp.arguments(AgencyIn)
@blp.response(201, AgencyDetailOut)
def add_agency(data):
    """Add an agency under its parent (platform operators)."""
    agency = onboarding.add_agency(
        db.session,
        actor(),
        parent_id=data.get("parent_id"),
        code=data["code"],
        name_zh=data["name_zh"],
        name_en=data["name_en"],
        kind=data["kind"],
        domain=data["domain"],
        mode=data["outsourcing_mode"],
    )
    return _detail(agency)


@blp.patch("/<int:agency_id>")
@blp.arguments(AgencyChangeIn)
@blp.response(200, AgencyDetailOut)
def change_agency(changes, agency_id):
    """Change names, business domain or outsourcing mode (platform operators); code,
    kind and parent stay as made."""
    service.get_visible_agency(db.session, actor(), agency_id)
    return _detail(onboarding.change_agency(db.session, actor(), agency_id, **changes))


@blp.get("/<int:agency_id>")
@blp.response(200, AgencyDetailOut)
def agency(agency_id):
    return _detail(service.get_visible_agency(db.session, actor(), agency_id))


@blp.put("/<int:agency_id>/quotas")
@blp.arguments(QuotaLimitsIn)
@blp.response(200, AgencyDetailOut)
def set_quotas(limits, agency_id):
    """Set limits; a resource given as null loses its limit, one left out is unchanged."""
    service.get_visible_agency(db.session, actor(), agency_id)
    agency = service.set_quotas(db.session, actor(), agency_id, limits)
    return _detail(agency)
