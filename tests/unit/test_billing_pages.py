"""The cost pages: a month's bills with charts and exports, one bill with its drill-down,
finance's review on the page, an agency's running cost, budgets, price lists."""

import pytest
from sqlalchemy import select

from portal.billing.models import Bill
from portal.billing.prices import sync_price_lists
from tests.billing_factories import (
    CHANGE,
    OCTOBER_LIST,
    bill_october,
    write_price_lists,
)
from tests.conftest import csrf_token, database


@pytest.fixture
def billed(app, world, tmp_path):
    """October's bills made: a small server of bureau a (92.80 yuan), a volume of
    community c; returns {agency code: bill id, "vm": resource id}."""
    volume = ("c", "volume", [(CHANGE, "created", "active", {"size_gb": 50})])
    with database(app) as session:
        vm = bill_october(session, world, tmp_path / "prices", volume)
        session.commit()
        ids = {bill.agency.code: bill.id for bill in session.scalars(select(Bill))}
        ids["vm"] = vm.id
    return ids


def test_finance_sees_the_month_with_totals_charts_and_exports(as_user, billed):
    page = as_user("finance").get("/billing/?month=2026-10")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "JY-202610-a-1" in html and "JY-202610-c-1" in html
    assert "92.80" in html
    assert html.count('class="chart" role="img"') == 4
    assert "/billing/2026-10/export.xlsx" in html


def test_an_agency_sees_its_own_bills_only(as_user, billed):
    member = as_user("member.a")
    html = member.get("/billing/?month=2026-10").get_data(as_text=True)
    assert "JY-202610-a-1" in html and "JY-202610-c-1" not in html
    assert member.get(f"/billing/bills/{billed['c']}").status_code == 404
    assert member.get(f"/billing/bills/{billed['c']}/export.csv").status_code == 404
    town = as_user("manager.t").get(f"/billing/bills/{billed['c']}")
    assert town.status_code == 200  # a town sees its communities
    assert "Make bills" not in html and "Add adjustment" not in member.get(
        f"/billing/bills/{billed['a']}"
    ).get_data(as_text=True)


def test_a_bill_drills_down_from_resource_to_hour(as_user, billed):
    finance = as_user("finance")
    html = finance.get(f"/billing/bills/{billed['a']}").get_data(as_text=True)
    assert "门户网站" in html  # the application subtotal
    assert f"/billing/bills/{billed['a']}/resources/{billed['vm']}" in html
    hours = finance.get(f"/billing/bills/{billed['a']}/resources/{billed['vm']}")
    assert hours.status_code == 200
    assert hours.get_data(as_text=True).count("<tr>") >= 390  # 390 metered hours
    other = finance.get(f"/billing/bills/{billed['c']}/resources/{billed['vm']}")
    assert other.status_code == 404  # the resource is not on that bill


def test_review_on_the_page_with_clear_errors_and_four_eyes(app, as_user, billed):
    finance = as_user("finance")
    path = f"/billing/bills/{billed['a']}"
    token = csrf_token(finance, path)
    missing = finance.post(
        f"{path}/adjust", data={"csrf_token": token, "amount": "-5", "reason": ""}
    )
    assert missing.status_code == 422
    bad = finance.post(
        f"{path}/adjust", data={"csrf_token": token, "amount": "5.001", "reason": "x"}
    )
    assert bad.status_code == 422 and "two decimal places" in bad.get_data(as_text=True)
    done = finance.post(
        f"{path}/adjust", data={"csrf_token": token, "amount": "-2.80", "reason": "测试减免"}
    )
    assert done.status_code == 302
    assert finance.post(f"{path}/submit", data={"csrf_token": token}).status_code == 302
    refused = finance.post(f"{path}/finalize", data={"csrf_token": token})
    assert refused.status_code == 403 and "four eyes" in refused.get_data(as_text=True)
    with database(app) as session:
        bill = session.get(Bill, billed["a"])
        assert (str(bill.total), bill.status) == ("90.00", "under_review")


def test_exports_of_a_bill_and_of_the_month(as_user, billed):
    finance = as_user("finance")
    csv = finance.get(f"/billing/bills/{billed['a']}/export.csv")
    assert (
        csv.data.startswith(b"\xef\xbb\xbf") and "attachment" in csv.headers["Content-Disposition"]
    )
    pdf = finance.get(f"/billing/bills/{billed['a']}/export.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    xlsx = finance.get("/billing/2026-10/export.xlsx")
    assert (
        xlsx.data.startswith(b"PK") and "bills-2026-10.xlsx" in xlsx.headers["Content-Disposition"]
    )
    assert finance.get("/billing/2026-10/export.doc").status_code == 404
    assert finance.get("/billing/2026-13/export.csv").status_code == 422


def test_budgets_are_set_by_finance_with_clear_errors(as_user, billed):
    finance = as_user("finance")
    token = csrf_token(finance, "/billing/budgets?year=2026")
    form = {"csrf_token": token, "agency_code": "a", "year": "2026", "amount": "abc"}
    assert finance.post("/billing/budgets", data=form).status_code == 422
    unknown = finance.post("/billing/budgets", data={**form, "agency_code": "zz", "amount": "100"})
    assert unknown.status_code == 422 and "No agency has this code" in unknown.get_data(
        as_text=True
    )
    assert finance.post("/billing/budgets", data={**form, "amount": "100.00"}).status_code == 302
    html = as_user("manager.a").get("/billing/budgets?year=2026").get_data(as_text=True)
    assert "100.00" in html and "92.8%" in html
    assert "Set a budget" not in html
    assert "Agency b" not in html


def test_the_running_cost_and_the_price_lists(as_user, billed):
    member = as_user("member.a")
    running = member.get("/billing/running")
    assert running.status_code == 200 and "Estimate for the whole month" in running.get_data(
        as_text=True
    )
    assert member.get(f"/billing/running?agency_id={billed['c']}").status_code in (404,)
    prices = member.get("/billing/prices").get_data(as_text=True)
    assert "T1" in prices and "T2" in prices and "0.18" in prices


def test_a_price_list_by_volume_type_shows_a_row_per_type(app, as_user, tmp_path):
    typed = (
        OCTOBER_LIST.replace('version: "T2"', 'version: "T3"')
        .replace('"2026-10-16T00:00:00+08:00"', '"2026-12-01T00:00:00+08:00"')
        .replace(
            'volume_gb_hours: "0.0007"',
            'volume_gb_hours: {jy-standard: "0.0007", jy-ssd: "0.0015"}',
        )
    )
    with database(app) as session:
        sync_price_lists(session, None, write_price_lists(tmp_path / "prices", typed))
        session.commit()
    html = as_user("member.a").get("/billing/prices").get_data(as_text=True)
    assert "jy-ssd</td>" in html and "0.0015" in html and "jy-standard</td>" in html


def test_the_order_form_shows_the_monthly_price(as_user, billed):
    quote = as_user("member.a").get(
        "/catalog/vm/quote?flavor=small&root_disk_gb=40&sla_tier=standard"
    )
    # 730 h × (0.18 + 40 GB × 0.001) = 160.60, plus the hybrid fee of 8% = 173.45
    assert quote.get_json()["monthly_price"] == "173.45"
