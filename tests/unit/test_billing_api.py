"""The billing JSON API: prices, usage, bills and exports with the pages' permissions (an
agency sees its own subtree, finance sees all and alone changes anything), money as
exact strings, and every mistake a 4xx naming the field."""

import csv
import io
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy.orm.exc import StaleDataError

from portal.accounts.models import User
from portal.accounts.service import create_api_token
from portal.billing import service as billing_service
from portal.billing.budgets import budget_status
from portal.billing.estimates import running_cost
from portal.billing.metering import last_ended_hour, meter_hour
from portal.billing.periods import HOUR, month_bounds, month_of
from portal.billing.prices import sync_price_lists
from portal.billing.service import current_bills, generate_bills
from portal.core.db import utcnow
from portal.tenancy.models import Agency
from tests.billing_factories import (
    AFTER,
    CHANGE,
    CREATED,
    OCTOBER,
    OCTOBER_END,
    OCTOBER_LIST,
    SMALL_VM,
    make_resource,
    meter,
    write_price_lists,
)
from tests.conftest import database
from tests.factories import make_user

BILLS = "/api/v1/billing/bills"
HOURS_TO_END = 390  # CREATED (15 Oct 10:00Z) to the end of October, in hours
BOM = b"\xef\xbb\xbf"


def error_of(response):
    body = response.get_json()
    assert set(body) == {"error"}, body
    return body["error"]


class Caller:
    """Calls the API with a bearer token."""

    def __init__(self, app, token):
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path, **kwargs):
        return self.client.get(path, headers=self.headers, **kwargs)

    def post(self, path, json=None):
        return self.client.post(path, json=json if json is not None else {}, headers=self.headers)

    def put(self, path, json=None):
        return self.client.put(path, json=json, headers=self.headers)


@pytest.fixture
def metered(app, world, tmp_path):
    """October as in test_bills: price lists T1 and T2 (T2 from 16 October), a small
    server of bureau a from 15 October 10:00Z, 10 GB volumes of town t and its community
    c from T2's start, every hour to the end of the month metered. No bills yet."""
    directory = write_price_lists(tmp_path / "prices")
    with database(app) as session:
        finance = session.get(User, world.users["finance"])
        sync_price_lists(session, finance, directory, note="test prices")
        vm = make_resource(
            session,
            world.agencies["a"],
            "vm",
            [(CREATED, "created", "active", SMALL_VM)],
            name="web",
        )
        volumes = {
            code: make_resource(
                session,
                world.agencies[code],
                "volume",
                [(CHANGE, "created", "active", {"size_gb": 10})],
                name=f"files-{code}",
            ).id
            for code in ("t", "c")
        }
        meter(session, CREATED, OCTOBER_END)
        second = make_user(session, "finance2", ["finance_officer"])
        token = create_api_token(session, second, "tests")[1]
        session.commit()
        return SimpleNamespace(
            prices=directory, vm=vm.id, volumes=volumes, finance2=Caller(app, token)
        )


@pytest.fixture
def october(app, world, metered):
    """…and October's bills, made by finance: bill id per agency code."""
    with database(app) as session:
        generate_bills(session, session.get(User, world.users["finance"]), OCTOBER, now=AFTER)
        session.commit()
        codes = {agency_id: code for code, agency_id in world.agencies.items()}
        metered.bills = {codes[bill.agency_id]: bill.id for bill in current_bills(session, OCTOBER)}
    return metered


def listed(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return {bill["agency_code"] for bill in response.get_json()["bills"]}


# -- prices ------------------------------------------------------------------------------


def test_prices_are_read_by_every_user_with_their_history(app, api, world, metered):
    for username in ("member.a", "vendor.tech", "finance"):
        current = api(username).get("/api/v1/billing/prices")
        assert current.status_code == 200
        assert [(p["version"], p["revision"]) for p in current.get_json()] == [("T1", 1), ("T2", 1)]
    t2 = current.get_json()[1]
    assert t2["definition"]["rates"]["instance_hours"]["jy.small"]["standard"] == "0.18"
    assert len(t2["digest"]) == 64 and t2["effective_from"].startswith("2026-10-15T16:00:00")
    (metered.prices / "t2.yaml").write_text(OCTOBER_LIST.replace('"0.80"', '"0.75"'))
    with database(app) as session:
        sync_price_lists(session, None, metered.prices, note="large is cheaper")
        session.commit()
    history = api("member.a").get("/api/v1/billing/prices/history").get_json()
    rows = {(row["version"], row["revision"]): row for row in history}
    assert set(rows) == {("T1", 1), ("T2", 1), ("T2", 2)}
    assert rows["T2", 1]["superseded_at"] and not rows["T2", 1]["in_force"]
    assert rows["T2", 2]["in_force"] and rows["T2", 2]["note"] == "large is cheaper"
    assert rows["T1", 1]["loaded_by"] == "finance" and rows["T2", 2]["loaded_by"] is None
    assert api("member.a").get("/api/v1/billing/prices").get_json()[1]["revision"] == 2
    assert app.test_client().get("/api/v1/billing/prices").status_code == 401


# -- bills: who sees which -----------------------------------------------------------------


def test_an_agency_sees_its_own_bills_and_finance_sees_all(api, october):
    mine = api("member.a").get(f"{BILLS}?month=2026-10").get_json()
    ((bill,),) = [mine["bills"]]
    assert (bill["number"], bill["status"], bill["month"]) == ("JY-202610-a-1", "draft", "2026-10")
    assert (bill["usage"], bill["service_fee"], bill["total"]) == ("85.92", "6.88", "92.80")
    assert mine["total"] == "92.80" and mine["month"] == "2026-10"
    assert listed(api("member.b").get(f"{BILLS}?month=2026-10")) == {"b"}
    everything = api("finance").get(f"{BILLS}?month=2026-10").get_json()
    assert [b["agency_code"] for b in everything["bills"]] == ["d", "a", "b", "t", "c"]
    assert everything["total"] == str(sum(Decimal(b["total"]) for b in everything["bills"]))
    for username in ("auditor", "operator"):
        assert listed(api(username).get(f"{BILLS}?month=2026-10")) == {"a", "b", "c", "d", "t"}
    other = api("member.a").get(f"{BILLS}/{october.bills['b']}")
    assert other.status_code == 404 and error_of(other)["code"] == "not_found"
    assert api("member.a").get(f"{BILLS}/{october.bills['a']}").status_code == 200
    assert api("member.a").get("/api/v1/billing/months").get_json() == {"months": ["2026-10"]}
    assert listed(api("member.a").get(f"{BILLS}?month=2026-09")) == set()


def test_a_town_sees_its_community_and_its_subtree_total(api, october):
    assert listed(api("manager.t").get(f"{BILLS}?month=2026-10")) == {"t", "c"}
    community = api("manager.t").get(f"{BILLS}/{october.bills['c']}")
    assert community.status_code == 200
    town = api("manager.t").get(f"{BILLS}/{october.bills['t']}").get_json()
    own, below = Decimal(town["total"]), Decimal(community.get_json()["total"])
    assert below > 0 and Decimal(town["subtree_total"]) == own + below
    assert api("member.c").get(f"{BILLS}/{october.bills['t']}").status_code == 404
    assert listed(api("member.c").get(f"{BILLS}?month=2026-10")) == {"c"}


def test_vendors_see_no_costs(api, october):
    for path in (
        f"{BILLS}?month=2026-10",
        f"{BILLS}/{october.bills['a']}",
        "/api/v1/billing/months",
        "/api/v1/billing/usage?month=2026-10",
    ):
        response = api("vendor.tech").get(path)
        assert response.status_code == 403, path
        assert "agency staff" in error_of(response)["message"]


def test_a_bill_has_its_lines_page_by_page_with_exact_quantities(api, october):
    path = f"{BILLS}/{october.bills['a']}"
    bill = api("member.a").get(path).get_json()
    assert [(p["version"], p["revision"]) for p in bill["price_lists"]] == [("T1", 1), ("T2", 1)]
    assert bill["subtree_total"] == bill["total"] == "92.80"
    lines = bill["lines"]
    assert (lines["total"], lines["page"], lines["per_page"]) == (6, 1, 200)
    kinds = [line["kind"] for line in lines["lines"]]
    assert kinds == ["service_fee"] * 2 + ["usage"] * 4
    disk = lines["lines"][2]
    assert (disk["metric"], disk["unit"], disk["resource_id"]) == (
        "disk_gb_hours",
        "GB·h",
        october.vm,
    )
    assert (disk["quantity"], disk["quantity_seconds"]) == ("240.0000", 40 * 6 * 3600)
    assert (disk["rate"], disk["amount"]) == ("0.001000", "0.24")
    fee = lines["lines"][0]
    assert (fee["quantity"], fee["quantity_seconds"], fee["rate"]) == (None, None, "0.080000")
    assert sum(Decimal(line["amount"]) for line in lines["lines"]) == Decimal(bill["total"])
    second = api("member.a").get(f"{path}?per_page=4&page=2").get_json()["lines"]
    assert [line["id"] for line in second["lines"]] == [line["id"] for line in lines["lines"][4:]]
    usage = api("member.a").get(f"{path}?kind=usage&kind=adjustment").get_json()["lines"]
    assert usage["total"] == 4
    for query, field in (("per_page=501", "per_page"), ("kind=tax", "kind.0"), ("page=0", "page")):
        bad = api("member.a").get(f"{path}?{query}")
        assert bad.status_code == 422 and field in error_of(bad)["fields"], query


# -- finance's work --------------------------------------------------------------------------


def test_finance_adjusts_submits_and_another_officer_finalizes(api, october):
    path = f"{BILLS}/{october.bills['a']}"
    finance = api("finance")
    missing = finance.post(f"{path}/adjust", json={"amount": "-10.50"})
    assert missing.status_code == 422 and "reason" in error_of(missing)["fields"]
    blank = finance.post(f"{path}/adjust", json={"amount": "-10.50", "reason": "  "})
    assert blank.status_code == 422 and error_of(blank)["fields"] == {"reason": "Required."}
    for amount in (-10.5, "1.005", "ten", "0"):
        bad = finance.post(f"{path}/adjust", json={"amount": amount, "reason": "x"})
        assert bad.status_code == 422 and "amount" in error_of(bad)["fields"], amount
    adjusted = finance.post(f"{path}/adjust", json={"amount": "-10.50", "reason": "服务中断补偿"})
    assert adjusted.status_code == 200
    assert (adjusted.get_json()["adjustments"], adjusted.get_json()["total"]) == ("-10.50", "82.30")
    line = api("member.a").get(f"{path}?kind=adjustment").get_json()["lines"]["lines"][0]
    assert (line["amount"], line["reason"], line["created_by"]) == (
        "-10.50",
        "服务中断补偿",
        "finance",
    )
    early = october.finance2.post(f"{path}/finalize")
    assert early.status_code == 409 and "under review" in error_of(early)["message"]
    assert finance.post(f"{path}/submit").get_json()["status"] == "under_review"
    own = finance.post(f"{path}/finalize")
    assert own.status_code == 403 and "four eyes" in error_of(own)["message"]
    done = october.finance2.post(f"{path}/finalize")
    assert done.status_code == 200
    final = done.get_json()
    assert final["status"] == "finalized" and len(final["content_hash"]) == 64
    assert final["finalized_by"] == "finance2" and final["finalized_at"]
    twice = october.finance2.post(f"{path}/finalize")
    assert twice.status_code == 409 and "already finalized" in error_of(twice)["message"]
    late = finance.post(f"{path}/adjust", json={"amount": "5.00", "reason": "late"})
    assert late.status_code == 409
    # A finalized bill is corrected by a reissue: a new draft revision.
    assert finance.post(f"{path}/reissue", json={}).status_code == 422
    reissued = finance.post(f"{path}/reissue", json={"reason": "disk size was wrong"})
    assert reissued.status_code == 201
    new = reissued.get_json()
    assert (new["revision"], new["status"], new["supersedes_id"]) == (
        2,
        "draft",
        october.bills["a"],
    )
    assert new["number"] == "JY-202610-a-2" and new["adjustments"] == "-10.50"
    mine = api("member.a").get(f"{BILLS}?month=2026-10").get_json()["bills"]
    assert [bill["id"] for bill in mine] == [new["id"]]


def test_only_finance_changes_bills(api, october):
    own, other = f"{BILLS}/{october.bills['a']}", f"{BILLS}/{october.bills['b']}"
    for action, body in (
        ("submit", {}),
        ("adjust", {"amount": "-1.00", "reason": "goodwill"}),
        ("return", {"reason": "recheck"}),
        ("finalize", {}),
        ("reissue", {"reason": "again"}),
    ):
        for username in ("member.a", "manager.a", "operator", "auditor", "admin"):
            refused = api(username).post(f"{own}/{action}", json=body)
            assert refused.status_code == 403, (username, action)
            assert "finance" in error_of(refused)["message"]
        assert api("manager.a").post(f"{other}/{action}", json=body).status_code == 404
    for username in ("manager.a", "operator"):
        assert api(username).post(f"{BILLS}/generate", json={"month": "2026-10"}).status_code == 403
    bill = api("finance").get(own).get_json()
    assert (bill["status"], bill["total"], bill["adjustments"]) == ("draft", "92.80", "0.00")


def test_return_to_draft_needs_a_reason(api, october):
    path = f"{BILLS}/{october.bills['t']}"
    api("finance").post(f"{path}/submit")
    missing = api("finance").post(f"{path}/return", json={})
    assert missing.status_code == 422 and "reason" in error_of(missing)["fields"]
    returned = api("finance").post(f"{path}/return", json={"reason": "recheck the volume"})
    assert returned.status_code == 200 and returned.get_json()["status"] == "draft"
    again = api("finance").post(f"{path}/return", json={"reason": "again"})
    assert again.status_code == 409


def test_a_stale_expected_version_is_409(api, october):
    path = f"{BILLS}/{october.bills['a']}"
    version = api("finance").get(path).get_json()["version"]
    api("finance").post(f"{path}/adjust", json={"amount": "1.00", "reason": "fee"})
    stale = api("finance").post(f"{path}/submit", json={"expected_version": version})
    assert stale.status_code == 409 and "version" in error_of(stale)["fields"]
    current = api("finance").get(path).get_json()["version"]
    fresh = api("finance").post(f"{path}/submit", json={"expected_version": current})
    assert fresh.status_code == 200 and fresh.get_json()["version"] > current


def test_an_adjustment_names_a_resource_of_the_bills_agency(api, october):
    path = f"{BILLS}/{october.bills['a']}/adjust"
    body = {"amount": "-2.00", "reason": "outage of web"}
    for resource_id in (october.volumes["t"], 999_999):
        refused = api("finance").post(path, json={**body, "resource_id": resource_id})
        assert refused.status_code == 422, refused.get_data(as_text=True)[:300]
        assert "resource_id" in error_of(refused)["fields"]
    ok = api("finance").post(path, json={**body, "resource_id": october.vm})
    assert ok.status_code == 200 and ok.get_json()["total"] == "90.80"


def test_finance_generates_bills_through_the_api(api, metered):
    generate = f"{BILLS}/generate"
    assert api("member.a").post(generate, json={"month": "2026-10"}).status_code == 403
    made = api("finance").post(generate, json={"month": "2026-10"})
    assert made.status_code == 200, made.get_data(as_text=True)
    report = made.get_json()
    assert (report["month"], report["created"], report["regenerated"], report["skipped"]) == (
        "2026-10",
        5,
        0,
        0,
    )
    totals = {bill["agency_code"]: bill["total"] for bill in report["bills"]}
    assert totals["a"] == "92.80" and totals["b"] == "0.00"
    again = api("finance").post(generate, json={"month": "2026-10", "agency_codes": ["a"]})
    assert again.status_code == 200, again.get_data(as_text=True)
    assert (again.get_json()["created"], again.get_json()["regenerated"]) == (0, 1)
    # September has a single price period (T1 throughout): rated like any other month.
    september = api("finance").post(generate, json={"month": "2026-09"})
    assert september.status_code == 200, september.get_data(as_text=True)[:300]
    assert september.get_json()["created"] == 5
    for body, status, field in (
        ({"month": "2026-10", "agency_codes": ["a", "zz"]}, 422, "agency_codes"),
        ({"month": "2026-13"}, 422, "month"),
        ({"month": "1999-12"}, 422, "month"),
        ({"month": 202610}, 422, "month"),
        ({}, 422, "month"),
        ({"month": "2099-01"}, 409, None),  # not ended
    ):
        refused = api("finance").post(generate, json=body)
        assert refused.status_code == status, body
        if field:
            assert field in error_of(refused)["fields"], body


@pytest.mark.parametrize(
    "path",
    [
        f"{BILLS}?month=2026-13",
        f"{BILLS}?month=oct",
        BILLS,
        "/api/v1/billing/usage?month=9999-12",
        "/api/v1/billing/usage",
        "/api/v1/billing/months/2026-1/export?format=csv",
        "/api/v1/billing/months/0001-01/export?format=csv",
    ],
)
def test_a_bad_month_is_422_naming_month(api, path):
    response = api("finance").get(path)
    assert response.status_code == 422
    assert "month" in error_of(response)["fields"]


# -- exports -----------------------------------------------------------------------------


def test_a_bill_exports_as_csv_xlsx_and_pdf(api, october):
    path = f"{BILLS}/{october.bills['a']}/export"
    csv_file = api("member.a").get(f"{path}?format=csv&language=en")
    assert csv_file.status_code == 200 and csv_file.mimetype == "text/csv"
    assert csv_file.data.startswith(BOM) and b"92.80" in csv_file.data
    assert csv_file.headers["Content-Disposition"] == 'attachment; filename="JY-202610-a-1.csv"'
    chinese = api("member.a").get(f"{path}?format=csv&language=zh_CN")
    assert "账单编号".encode() in chinese.data and chinese.data != csv_file.data
    xlsx = api("member.a").get(f"{path}?format=xlsx")
    assert xlsx.mimetype.endswith("spreadsheetml.sheet") and xlsx.data.startswith(b"PK")
    pdf = api("member.a").get(f"{path}?format=pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    for query, field in (
        ("", "format"),
        ("?format=doc", "format"),
        ("?format=csv&language=fr", "language"),
    ):
        bad = api("member.a").get(f"{path}{query}")
        assert bad.status_code == 422 and field in error_of(bad)["fields"], query
    assert api("member.b").get(f"{path}?format=csv").status_code == 404


def test_a_month_exports_the_bills_the_caller_may_see(api, october):
    path = "/api/v1/billing/months/2026-10/export?format=csv&language=en"
    mine = api("manager.t").get(path)
    assert mine.status_code == 200 and mine.data.startswith(BOM)
    assert mine.headers["Content-Disposition"] == 'attachment; filename="bills-2026-10.csv"'
    text = mine.data.decode("utf-8-sig")
    names = {"Agency a", "Agency b", "Agency t", "Agency c"}
    assert {name for name in names if name in text} == {"Agency t", "Agency c"}
    everything = api("finance").get(path).data.decode("utf-8-sig")
    assert all(name in everything for name in names)
    assert list(csv.reader(io.StringIO(everything)))
    for fmt, magic in (("xlsx", b"PK"), ("pdf", b"%PDF")):
        file = api("member.a").get(f"/api/v1/billing/months/2026-10/export?format={fmt}")
        assert file.status_code == 200 and file.data.startswith(magic)


# -- usage --------------------------------------------------------------------------------


def usage_rows(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return {
        (row["resource_id"], row["metric"]): (row["quantity"], row["quantity_seconds"])
        for row in response.get_json()["usage"]
    }


def test_usage_is_scoped_like_bills(api, world, october):
    usage = "/api/v1/billing/usage?month=2026-10"
    vm, t, c = october.vm, october.volumes["t"], october.volumes["c"]
    assert usage_rows(api("member.a").get(usage)) == {
        (vm, "disk_gb_hours"): ("15600.0000", 40 * HOURS_TO_END * 3600),
        (vm, "instance_hours"): ("390.0000", HOURS_TO_END * 3600),
    }
    town = usage_rows(api("manager.t").get(usage))
    assert set(town) == {(t, "volume_gb_hours"), (c, "volume_gb_hours")}
    assert town[c, "volume_gb_hours"] == ("3840.0000", 10 * 384 * 3600)
    assert set(usage_rows(api("finance").get(usage))) == set(
        usage_rows(api("member.a").get(usage))
    ) | set(town)
    only_c = api("manager.t").get(f"{usage}&agency_id={world.agencies['c']}")
    assert set(usage_rows(only_c)) == {(c, "volume_gb_hours")}
    row = only_c.get_json()["usage"][0]
    assert (row["agency_id"], row["unit"], row["resource_name"]) == (
        world.agencies["c"],
        "GB·h",
        "files-c",
    )
    for username, code in (("member.c", "t"), ("member.a", "b"), ("member.a", "d")):
        hidden = api(username).get(f"{usage}&agency_id={world.agencies[code]}")
        assert hidden.status_code == 404 and "agency_id" in error_of(hidden)["fields"]
    assert api("member.a").get(f"{usage}&agency_id=999999").status_code == 404
    paged = api("finance").get(f"{usage}&per_page=1&page=3").get_json()
    assert (paged["total"], len(paged["usage"])) == (4, 1)
    assert usage_rows(api("finance").get("/api/v1/billing/usage?month=2026-09")) == {}


# -- running costs and budgets -------------------------------------------------------------


def meter_this_month(app, hours=3):
    """Meter the current month's first hours (those that have ended)."""
    start, _end = month_bounds(month_of(utcnow()))
    with database(app) as session:
        hour = start
        while hour <= min(start + (hours - 1) * HOUR, last_ended_hour()):
            meter_hour(session, hour)
            hour += HOUR
        session.commit()
    return int((hour - start) / HOUR)


def test_running_cost_of_the_month_so_far(app, api, world, metered):
    hours = meter_this_month(app)
    agency_id = world.agencies["a"]
    answer = api("member.a").get(f"/api/v1/billing/agencies/{agency_id}/running")
    assert answer.status_code == 200
    cost = answer.get_json()
    with app.test_request_context(), database(app) as session:
        expected = running_cost(session, session.get(Agency, agency_id))
    assert cost["month"] == f"{month_of(utcnow()):%Y-%m}" and cost["agency_id"] == agency_id
    assert (cost["usage"], cost["service_fee"], cost["total"], cost["projected"]) == tuple(
        f"{value:.2f}"
        for value in (expected.usage, expected.service_fee, expected.total, expected.projected)
    )
    if hours:  # the server runs on: it costs something, and the month will cost more
        assert Decimal(cost["usage"]) > 0 and Decimal(cost["projected"]) >= Decimal(cost["total"])
        assert datetime.fromisoformat(cost["metered_until"]) == expected.metered_until
    other = f"/api/v1/billing/agencies/{world.agencies['b']}/running"
    assert api("member.a").get(other).status_code == 404
    assert api("vendor.tech").get(other).status_code == 403
    assert api("finance").get(other).get_json()["total"] == "0.00"


def test_budgets_are_read_by_the_agency_and_set_by_finance(app, api, world, october):
    year = OCTOBER.year
    path = f"/api/v1/billing/agencies/{world.agencies['a']}/budgets/{year}"
    before = api("member.a").get(path)
    assert before.status_code == 200
    status = before.get_json()
    assert status["budget"] is None and status["share"] is None and status["year"] == year
    assert Decimal(status["spent"]) >= Decimal("92.80")  # October's bill at least
    assert api("manager.a").put(path, json={"amount": "1000.00"}).status_code == 403
    for amount in (1000, "12.345", "-5", "lots"):
        bad = api("finance").put(path, json={"amount": amount})
        assert bad.status_code == 422 and "amount" in error_of(bad)["fields"], amount
    done = api("finance").put(path, json={"amount": "1000.00"})
    assert done.status_code == 200
    answer = done.get_json()
    with app.test_request_context(), database(app) as session:
        expected = budget_status(session, session.get(Agency, world.agencies["a"]), year)
    assert (answer["budget"], answer["spent"], answer["share"]) == (
        "1000.00",
        f"{expected.spent:.2f}",
        f"{expected.share:.1f}",
    )
    assert api("member.a").get(path).get_json()["budget"] == "1000.00"
    other = f"/api/v1/billing/agencies/{world.agencies['b']}/budgets/{year}"
    assert api("member.a").get(other).status_code == 404
    assert api("manager.a").put(other, json={"amount": "1.00"}).status_code == 404
    for bad_year in (1999, 2101):
        wrong = api("member.a").get(
            f"/api/v1/billing/agencies/{world.agencies['a']}/budgets/{bad_year}"
        )
        assert wrong.status_code == 422 and "year" in error_of(wrong)["fields"]


def test_money_is_never_a_float(api, october):
    bill = api("finance").get(f"{BILLS}/{october.bills['a']}").get_json()
    for name in ("usage", "service_fee", "adjustments", "credits", "total", "subtree_total"):
        assert isinstance(bill[name], str) and Decimal(bill[name]) == Decimal(bill[name]).quantize(
            Decimal("0.01")
        )
    for line in bill["lines"]["lines"]:
        assert isinstance(line["amount"], str) and isinstance(line["rate"], str)


def test_a_change_that_lost_a_race_is_409(api, october, monkeypatch):
    """Another request changed the bill between reading and writing it: its version
    moved, the UPDATE matched nothing, and SQLAlchemy says StaleDataError."""

    def raced(*_args, **_kwargs):
        raise StaleDataError("UPDATE statement on table 'bills' expected to update 1 row(s)")

    monkeypatch.setattr(billing_service, "submit_for_review", raced)
    lost = api("finance").post(f"{BILLS}/{october.bills['a']}/submit")
    assert lost.status_code == 409 and "version" in error_of(lost)["fields"]
