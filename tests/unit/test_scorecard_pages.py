"""The scorecard pages: the ranked scorecards with their chart and the expert review, the
XLSX and PDF downloads, the SLA report, a vendor's survey results and the rating of a
fulfilled request from its page; and who may see what."""

import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from flask import current_app
from openpyxl import load_workbook
from sqlalchemy import select

from portal.accounts.models import User
from portal.billing.periods import month_of
from portal.core.db import utcnow
from portal.extensions import db
from portal.incidents import service as incidents
from portal.orders.service import approve_order, create_order
from portal.orders.states import OrderState
from portal.provisioning import engine
from portal.provisioning.models import Operation
from portal.provisioning.tasks import runtime
from portal.vendors.surveys import rate
from tests.billing_factories import make_resource
from tests.conftest import csrf_token

BEIJING = ZoneInfo("Asia/Shanghai")
PAGE = "/vendors/scorecards?period=2026-10"


def at(month, day, hour):
    return datetime(2026, month, day, hour, tzinfo=BEIJING)


def html(response):
    return response.get_data(as_text=True)


def post(client, path, page, **values):
    """A form post from `page`, with that page's CSRF token."""
    return client.post(path, data={"csrf_token": csrf_token(client, page), **values})


@pytest.fixture
def october(app, world):
    """v1's October 2026: two incidents of bureau a's database, one resolved within its
    clocks and rated 5, one resolved six working days late (a resolution breach)."""
    with app.app_context():
        session = db.session

        def user(name):
            return session.get(User, world.users[name])

        resource = make_resource(
            session, world.agencies["a"], "postgresql",
            [(at(9, 1, 9), "created", "active", {"storage_gb": 50})],
        )  # fmt: skip
        made = []
        for resolved_at in (at(10, 12, 11), at(10, 20, 17)):
            incident = incidents.open_incident(
                session, user("member.a"), priority="P3", title="故障",
                resource_id=resource.id, now=at(10, 12, 9),
            )  # fmt: skip
            incidents.respond(session, user("vendor.tech"), incident.id, now=at(10, 12, 9))
            incidents.resolve(session, user("vendor.tech"), incident.id, "已处理", now=resolved_at)
            made.append(incident.id)
        rate(session, user("member.a"), incident_id=made[0], score=5, comment="响应及时",
             now=at(10, 13, 9))  # fmt: skip
        session.commit()
    return made


def test_the_operator_sees_the_ranked_scorecards_and_enters_an_expert_review(
    as_user, world, october
):
    operator = as_user("operator")
    page = html(operator.get(PAGE))
    # v2: no incidents, surveys or review: compliance alone, 100. v1: (50 × 50 + 25 × 100)
    # / 75; its resolution breach is in the compliance, only availability breaches cost points.
    assert page.index("<code>v2</code>") < page.index("<code>v1</code>")
    assert "100.00" in page and "66.67" in page and "50.00%" in page
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart"' in page
    assert "weights 50:25:25" in page and "per availability breach" in page
    v1 = world.vendors["v1"]
    assert f'id="review-{v1}"' in page and f"/vendors/{v1}/surveys?period=2026-10" in page
    for score, reason in (("150", "scored 0 to 100"), ("abc", "Not a valid integer")):
        refused = post(
            operator, "/vendors/scorecards/review", PAGE, vendor_id=v1, period="2026-10",
            score=score,
        )  # fmt: skip
        assert refused.status_code == 422 and reason in html(refused)
        assert f'value="{score}"' in html(refused)  # what was typed is kept
    missing = post(operator, "/vendors/scorecards/review", PAGE, vendor_id=999999,
                   period="2026-10", score="80")  # fmt: skip
    assert missing.status_code == 404
    bad_period = post(operator, "/vendors/scorecards/review", PAGE, vendor_id=v1,
                      period="2026-13", score="80")  # fmt: skip
    assert bad_period.status_code == 422 and "A period is a month" in html(bad_period)
    saved = post(
        operator, "/vendors/scorecards/review", PAGE, vendor_id=v1, period="2026-10",
        score="80", note="验收通过",
    )  # fmt: skip
    assert saved.status_code == 302
    # (50 × 50 + 25 × 100 + 25 × 80) / 100
    assert "70.00" in html(operator.get(saved.headers["Location"]))
    manager = as_user("vendor.manager")
    assert (
        post(manager, "/vendors/scorecards/review", PAGE, vendor_id=v1, period="2026-10",
             score="100").status_code
        == 403
    )  # fmt: skip


def test_the_scorecards_download_as_xlsx_and_pdf(as_user, october):
    operator = as_user("operator")
    sheet = operator.get("/vendors/scorecards/export?period=2026-10&format=xlsx")
    assert sheet.status_code == 200
    assert 'filename="scorecards-2026-10.xlsx"' in sheet.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(sheet.data))
    rows = list(book["Scorecards"].iter_rows(values_only=True))
    assert rows[0][:3] == ("Rank", "Vendor code", "Vendor") and rows[0][-1] == "Score"
    assert [row[1] for row in rows[1:]] == ["v2", "v1"]
    v1 = dict(zip(rows[0], rows[2], strict=True))
    assert (v1["Rank"], v1["Incidents"], v1["Resolution breaches"]) == (2, 2, 1)
    assert Decimal(str(v1["SLA compliance (%)"])) == Decimal("50")
    assert Decimal(str(v1["Score"])) == Decimal("66.67")
    assert Decimal(str(v1["Satisfaction (1-5)"])) == Decimal("5")
    assert v1["Expert review"] is None and v1["Breach penalty"] == 0
    score_cell = book["Scorecards"].cell(row=3, column=len(rows[0]))
    assert score_cell.number_format == "#,##0.00"
    notes = dict(book["Notes"].iter_rows(values_only=True))
    assert notes["Period"] == "2026-10" and notes["Weight: SLA compliance"] == 50
    pdf = operator.get("/vendors/scorecards/export?period=2026-Q4&format=pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert 'filename="scorecards-2026-Q4.pdf"' in pdf.headers["Content-Disposition"]
    operator.get("/language/zh_CN")
    chinese = operator.get("/vendors/scorecards/export?period=2026&format=pdf")
    assert chinese.status_code == 200 and b"STSong-Light" in chinese.data
    assert operator.get("/vendors/scorecards/export?period=2026&format=doc").status_code == 422
    assert operator.get("/vendors/scorecards/export?period=x&format=pdf").status_code == 422


def test_vendor_staff_see_their_own_line_and_agency_staff_are_refused(as_user, october):
    manager = html(as_user("vendor.manager").get(PAGE))
    assert "<code>v1</code>" in manager and "<code>v2</code>" not in manager
    assert "Enter a review" not in manager
    technician = as_user("vendor.tech")
    assert technician.get(PAGE).status_code == 200
    sheet = technician.get("/vendors/scorecards/export?period=2026-10&format=xlsx")
    rows = list(load_workbook(io.BytesIO(sheet.data))["Scorecards"].iter_rows(values_only=True))
    assert [row[1] for row in rows[1:]] == ["v1"]
    member = as_user("member.a")
    for path in (
        PAGE,
        "/vendors/scorecards/export?period=2026-10&format=pdf",
        "/vendors/sla-report?period=2026-10",
    ):
        assert member.get(path).status_code == 403
    assert as_user("finance").get(PAGE).status_code == 200


def test_a_bad_period_is_shown_on_the_page(as_user, client):
    refused = as_user("operator").get("/vendors/scorecards?period=2026-13")
    assert refused.status_code == 422
    assert "A period is a month" in html(refused) and '<select id="period"' in html(refused)
    default = html(as_user("auditor").get("/vendors/scorecards"))
    assert "selected>" in default  # the last ended month is chosen
    # No SLA definition was in effect in 2000: the service's refusal, on the page.
    before = as_user("operator").get("/vendors/sla-report?period=2000")
    assert before.status_code == 409 and '<select id="period"' in html(before)
    anonymous = client.get(PAGE)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_the_sla_report_highlights_the_breach(as_user, october):
    page = html(as_user("operator").get("/vendors/sla-report?period=2026-10"))
    assert "Vendor v1" in page and "Agency a" in page
    assert '<tr class="breached">' in page and "1/2" in page and "2/2" in page
    own = as_user("vendor2.manager").get("/vendors/sla-report?period=2026-10")
    assert own.status_code == 200 and "Vendor v1" not in html(own)


def test_survey_results_for_the_vendors_manager_and_nobody_elses(as_user, world, october):
    path = f"/vendors/{world.vendors['v1']}/surveys?period=2026-10"
    mine = as_user("vendor.manager").get(path)
    assert mine.status_code == 200
    assert "响应及时" in html(mine) and "Member.A" not in html(mine)  # the rater is not named
    assert 'style="width: 100%"' in html(mine)  # five stars: the only rating
    assert "Member.A" in html(as_user("operator").get(path))
    assert as_user("vendor2.manager").get(path).status_code == 404
    assert as_user("vendor.tech").get(path).status_code == 403
    assert as_user("finance").get(path).status_code == 403
    assert as_user("member.a").get(path).status_code == 403


def fulfilled_order(app, world):
    """A volume of bureau a, ordered, approved and provisioned on the simulated cloud."""
    with app.app_context():
        session = db.session

        def user(name):
            return session.get(User, world.users[name])

        order = create_order(session, user("member.a"), "volume", {"volume_name": "logs",
                             "size_gb": 50, "purpose": "日志"})  # fmt: skip
        if order.state == OrderState.AWAITING_APPROVAL:
            for approver in ("manager.a", "operator"):
                approve_order(session, user(approver), order.id, "ok")
        session.commit()
        operation = session.scalar(select(Operation).where(Operation.order_id == order.id))
        assert engine.run(session, operation.id, runtime(current_app)).finished
        session.refresh(order)
        assert order.state == OrderState.FULFILLED
        return order.id


def test_the_agency_rates_a_fulfilled_request_once_from_its_page(app, as_user, world):
    order_id = fulfilled_order(app, world)
    page, action = f"/orders/{order_id}", f"/vendors/surveys/order/{order_id}"
    member = as_user("member.a")
    assert "How satisfied are you with this service?" in html(member.get(page))
    unscored = post(member, action, page, comment="没选分数")
    assert unscored.status_code == 422 and "From 1 (very dissatisfied)" in html(unscored)
    assert "没选分数" in html(unscored)
    assert post(as_user("member.b"), action, "/orders/", score="5").status_code == 404
    assert post(as_user("operator"), action, page, score="5").status_code == 403
    done = post(member, action, page, score="4", comment="开通很快")
    assert done.status_code == 302
    shown = html(member.get(page))
    assert "4 of 5" in shown and "开通很快" in shown and "How satisfied" not in shown
    again = post(as_user("manager.a"), action, page, score="1")
    assert again.status_code == 409
    assert "This has been rated already." in html(again) and "4 of 5" in html(again)


def test_the_platform_team_reads_the_ratings_of_its_own_service(app, as_user, api, world):
    order_id = fulfilled_order(app, world)
    post(as_user("member.a"), f"/vendors/surveys/order/{order_id}", f"/orders/{order_id}",
         score="2", comment="审批太慢")  # fmt: skip
    operator = as_user("operator")
    assert "Platform team’s surveys" in html(operator.get("/vendors/scorecards"))
    page = html(operator.get("/vendors/platform/surveys?period=" + this_month()))
    assert "Platform team" in page and "审批太慢" in page and "Member.A" in page
    assert 'style="width: 100%"' in page  # two stars: the only rating
    # Each vendor's own page leaves the platform team's ratings out.
    vendor_page = f"/vendors/{world.vendors['v1']}/surveys?period=" + this_month()
    assert "审批太慢" not in html(operator.get(vendor_page))
    for refused in ("vendor.manager", "vendor.tech", "finance", "member.a"):
        assert as_user(refused).get("/vendors/platform/surveys").status_code == 403, refused
    vendor_view = html(as_user("vendor.manager").get("/vendors/scorecards"))
    assert "Platform team’s surveys" not in vendor_view
    path = "/api/v1/vendors/platform/surveys?period=" + this_month()
    answer = api("operator").get(path)
    assert answer.status_code == 200 and answer.json["count"] == 1
    assert answer.json["average"] == 2 and answer.json["comments"][0]["comment"] == "审批太慢"
    assert api("vendor.manager").get(path).status_code == 403


def this_month():
    return month_of(utcnow()).strftime("%Y-%m")
