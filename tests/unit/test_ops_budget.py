"""Next year's operations budget per business domain, by the asset-proportion
coefficient method and the workload method, side by side, for finance."""

import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from billing.ops_budget import PARAMETERS, OpsBudgetInvalid, load_parameters
from portal.billing.ops_budget import ops_budget
from portal.core.errors import Forbidden
from portal.extensions import db
from portal.incidents import service as incidents
from tests.billing_factories import SMALL_VM, make_resource

BEIJING = ZoneInfo("Asia/Shanghai")
CREATED = datetime(2026, 3, 1, tzinfo=BEIJING)


def health_of(rows):
    return next(row for row in rows if row.domain == "health")


def test_both_methods_per_domain(session, user, world):
    # Bureau a (health): a small server (1 vCPU, 2 GB, 40 GB) and a 50 GB database.
    make_resource(session, world.agencies["a"], "vm", [(CREATED, "created", "active", SMALL_VM)])
    database = make_resource(
        session,
        world.agencies["a"],
        "postgresql",
        [(CREATED, "created", "active", {"storage_gb": 50})],
    )
    for priority in ("P1", "P3", "P3"):
        incidents.open_incident(
            session,
            user("member.a"),
            priority=priority,
            title="x",
            resource_id=database.id,
            now=datetime(2026, 6, 1, 10, tzinfo=BEIJING),
        )
    _parameters, rows = ops_budget(session, user("finance"), 2027)
    health = health_of(rows)
    assert health.units == {
        "compute": {"vcpu": 1, "ram_gb": 2},
        "storage": {"disk_gb": 40},
        "database": {"instance": 1, "storage_gb": 50},
    }
    # 1 × 3000 + 2 × 400 = 3800 × 0.08; 40 × 4 = 160 × 0.05; 30000 + 300 = 30300 × 0.10
    assert health.estimate.asset_value == Decimal("34260.00")
    assert health.estimate.asset_amount == Decimal("3342.00")
    # P1 8 h + 2 × P3 2 h + a server 6 h + a database 8 h = 26 h × 260
    assert health.estimate.hours == Decimal("26.00")
    assert health.estimate.workload_amount == Decimal("6760.00")
    assert len(rows) == 12
    # Incidents of 2026 count for the 2027 budget, not for 2028's.
    assert health_of(ops_budget(session, user("finance"), 2028)[1]).estimate.hours == Decimal(
        "14.00"
    )
    with pytest.raises(Forbidden):
        ops_budget(session, user("member.a"), 2027)


def test_bad_parameters_are_refused_with_field_and_reason(tmp_path):
    bad = tmp_path / "ops_budget.yaml"
    text = PARAMETERS.read_text(encoding="utf-8")
    bad.write_text(text.replace('coefficient: "0.08"', "coefficient: 0.08"), encoding="utf-8")
    with pytest.raises(OpsBudgetInvalid, match=r"coefficient.*quotes"):
        load_parameters(bad)
    bad.write_text(text.replace("vcpu:", "gpu:"), encoding="utf-8")
    with pytest.raises(OpsBudgetInvalid, match="unknown unit gpu"):
        load_parameters(bad)


def test_the_page_the_export_and_the_api(app, as_user, api, world):
    with app.app_context():
        make_resource(
            db.session, world.agencies["a"], "vm", [(CREATED, "created", "active", SMALL_VM)]
        )
        db.session.commit()
    page = as_user("finance").get("/billing/ops-budget?year=2027")
    assert page.status_code == 200 and "<svg" in page.get_data(as_text=True)
    export = as_user("finance").get("/billing/ops-budget/export?year=2027")
    sheet = load_workbook(io.BytesIO(export.data)).worksheets[0]
    values = [row for row in sheet.iter_rows(values_only=True)]
    assert len(values) == 14  # header, 12 domains, total
    assert as_user("member.a").get("/billing/ops-budget?year=2027").status_code == 403
    answer = api("operator").get("/api/v1/billing/ops-budget", query_string={"year": 2027})
    health = next(row for row in answer.json if row["domain"] == "health")
    assert health["asset_amount"] == "312.00"  # 3800 × 0.08 + 160 × 0.05
    assert api("operator").get("/api/v1/billing/ops-budget").status_code == 422
