"""The states of a bill and the kinds of its lines, with their labels."""

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class BillState(StrEnum):
    DRAFT = "draft"
    UNDER_REVIEW = "under_review"
    FINALIZED = "finalized"
    # A finalized bill replaced by a finalized reissue: kept, never shown as current.
    SUPERSEDED = "superseded"

    @property
    def label(self):
        return BILL_STATE_LABELS[self]


BILL_STATE_LABELS = {
    BillState.DRAFT: _l("Draft"),
    BillState.UNDER_REVIEW: _l("Under review"),
    BillState.FINALIZED: _l("Finalized"),
    BillState.SUPERSEDED: _l("Superseded"),
}

LINE_KINDS = {
    "usage": _l("Usage"),
    "service_fee": _l("Operations service fee"),
    "adjustment": _l("Adjustment"),
    # SLA credits are added by the SLA-backed operations (a later capability).
    "sla_credit": _l("SLA credit"),
}

# The SLA tiers that price lists price (catalog items offer some of them).
SLA_TIER_LABELS = {
    "standard": _l("Standard"),
    "important": _l("Important"),
    "critical": _l("Critical"),
}
