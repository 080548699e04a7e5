"""Finance's month in a real browser, in Chinese: the month's bills with their charts,
one bill, an adjustment, review, the four-eyes refusal, a PDF download, finalization by
a second officer; then the agency sees its finalized bill and cannot change it."""

import re

import pytest

from portal.extensions import db
from tests.billing_factories import bill_october
from tests.factories import PASSWORD, make_user

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

pytestmark = pytest.mark.e2e


@pytest.fixture
def october_bills(app, world, tmp_path):
    with app.app_context():
        session = db.session
        bill_october(session, world, tmp_path / "prices")
        make_user(session, "finance2", ["finance_officer"])
        session.commit()


def log_in(page, username):
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()


def log_out(page):
    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(re.compile(r"/login$"))


def test_finance_reviews_and_finalizes_a_month(page, october_bills, screenshot):
    log_in(page, "finance")
    page.get_by_role("navigation").get_by_role("link", name="费用", exact=True).click()
    page.get_by_role("link", name="2026-10", exact=True).click()
    expect(page.locator("h1")).to_contain_text("资源使用账单")
    expect(page.locator(".summary-figures")).to_contain_text("92.80")
    expect(page.locator("svg.chart")).to_have_count(4)
    screenshot(page, "billing-01-month")

    page.get_by_role("link", name="JY-202610-a-1", exact=True).click()
    expect(page.locator("h1 .badge")).to_have_text("草稿")
    expect(page.get_by_text("门户网站").first).to_be_visible()
    page.get_by_label("金额（元，减免填负数）").fill("-2.80")
    page.get_by_label("原因", exact=True).fill("十月网络中断补偿")
    page.get_by_role("button", name="添加调整").click()
    expect(page.locator(".flash-success")).to_have_text("已添加调整。")
    expect(page.locator(".money-table").first).to_contain_text("90.00")

    page.get_by_role("button", name="提交审核").click()
    expect(page.locator("h1 .badge")).to_have_text("审核中")
    page.get_by_role("button", name="确认账单").click()
    expect(page.locator(".flash-error")).to_contain_text("须由另一名财务人员确认")
    screenshot(page, "billing-02-four-eyes")

    with page.expect_download() as download:
        page.get_by_role("link", name="PDF", exact=True).click()
    pdf = download.value
    assert pdf.suggested_filename == "JY-202610-a-1.pdf"
    with open(pdf.path(), "rb") as saved:
        assert saved.read(5) == b"%PDF-"
    log_out(page)

    log_in(page, "finance2")
    page.goto("/billing/?month=2026-10")
    page.get_by_role("link", name="JY-202610-a-1", exact=True).click()
    page.get_by_role("button", name="确认账单").click()
    expect(page.locator(".flash-success")).to_have_text("账单已确认。")
    expect(page.locator("h1 .badge")).to_have_text("已确认")
    expect(page.locator("code.hash")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    screenshot(page, "billing-03-finalized")
    log_out(page)

    log_in(page, "member.a")
    page.goto("/billing/?month=2026-10")
    expect(page.get_by_role("link", name="JY-202610-b-1")).to_have_count(0)
    page.get_by_role("link", name="JY-202610-a-1", exact=True).click()
    expect(page.locator("h1 .badge")).to_have_text("已确认")
    expect(page.get_by_role("button", name="添加调整")).to_have_count(0)
