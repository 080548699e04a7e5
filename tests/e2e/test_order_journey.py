"""The main journey in a real browser, in Chinese and in English: an agency member orders
a virtual machine, the agency manager and a platform operator approve it, and the member
sees it approved. Every step checks the words on the screen in the chosen language."""

import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.orders.models import Order
from tests.factories import PASSWORD

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

pytestmark = pytest.mark.e2e

# What the screen says, per language: the header's language link, headings, buttons,
# labels, the states. Catalog words (云主机, 主机名 …) come from catalog/items/vm.yaml.
WORDS = {
    "zh_CN": {
        "language_link": "简体中文",
        "html_lang": "zh-CN",
        "log_in": "登录",
        "user_name": "用户名",
        "password": "密码",
        "log_out": "退出登录",
        "catalog": "服务目录",
        "requests": "服务申请",
        "approvals": "审批",
        "vm": "云主机",
        "hostname": "主机名",
        "flavour": "规格",
        "medium": "中型（2 核 / 4 GB）",
        "purpose": "用途说明",
        "submit": "提交申请",
        "bad_format": "格式不正确。",
        "awaiting": "待审批",
        "comment": "审批意见",
        "approve": "批准",
        "you_approved": "您已批准该服务申请。",
        "approved": "已批准",
        "manager_comment": "同意，请平台开通。",
        "operator_comment": "资源充足，同意开通。",
        "purpose_text": "区政务服务网站的测试环境",
    },
    "en": {
        "language_link": "English",
        "html_lang": "en",
        "log_in": "Log in",
        "user_name": "User name",
        "password": "Password",
        "log_out": "Log out",
        "catalog": "Service catalog",
        "requests": "Requests",
        "approvals": "Approvals",
        "vm": "Virtual machine",
        "hostname": "Host name",
        "flavour": "Flavour",
        "medium": "Medium (2 vCPUs / 4 GB)",
        "purpose": "Purpose",
        "submit": "Submit request",
        "bad_format": "The format is not valid.",
        "awaiting": "Awaiting approval",
        "comment": "Comment",
        "approve": "Approve",
        "you_approved": "You approved the request.",
        "approved": "Approved",
        "manager_comment": "Agreed, please provision.",
        "operator_comment": "Capacity is available.",
        "purpose_text": "Test environment of the district's service website",
    },
}


class Journey:
    """The user's moves, in one language, with a screenshot after each step."""

    def __init__(self, page, locale, screenshot):
        self.page = page
        self.locale = locale
        self.words = WORDS[locale]
        self.screenshot = screenshot

    def __getitem__(self, key):
        return self.words[key]

    def shot(self, step):
        self.screenshot(self.page, f"{self.locale}-{step}")

    def in_language(self):
        """The page is in the journey's language; if not, the user picks it in the header
        (Chromium here asks for Chinese first, as a Beijing civil servant's would). The choice
        lives in the session, which logging out clears, so each login picks it again."""
        html = self.page.locator("html")
        if html.get_attribute("lang") != self["html_lang"]:
            self.page.get_by_role("link", name=self["language_link"], exact=True).click()
        expect(html).to_have_attribute("lang", self["html_lang"])

    def log_in(self, username):
        page = self.page
        page.goto("/login")
        self.in_language()
        expect(page.locator("h1")).to_have_text(self["log_in"])
        page.get_by_label(self["user_name"]).fill(username)
        page.get_by_label(self["password"]).fill(PASSWORD)
        page.get_by_role("button", name=self["log_in"], exact=True).click()
        expect(page.get_by_role("button", name=self["log_out"])).to_be_visible()
        expect(page.locator("html")).to_have_attribute("lang", self["html_lang"])

    def log_out(self):
        self.page.get_by_role("button", name=self["log_out"]).click()
        expect(self.page).to_have_url(re.compile(r"/login$"))

    def open_approval(self, number, step):
        page = self.page
        page.get_by_role("navigation").get_by_role(
            "link", name=self["approvals"], exact=True
        ).click()
        expect(page.locator("h1")).to_contain_text(self["approvals"])
        self.shot(f"{step}-queue")
        page.get_by_role("link", name=number, exact=True).click()
        expect(page.locator("h1")).to_contain_text(number)
        expect(page.locator("h1 .badge")).to_have_text(self["awaiting"])

    def approve(self, comment, step):
        page = self.page
        page.get_by_label(self["comment"]).fill(comment)
        self.shot(f"{step}-approval")
        page.get_by_role("button", name=self["approve"], exact=True).click()
        expect(page.locator(".flash-success")).to_have_text(self["you_approved"])
        expect(page.locator(".steps")).to_contain_text(comment)
        self.shot(f"{step}-approved")


def count_orders(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Order.id)))


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_order_a_vm_and_have_it_approved(app, page, live_server, browser_log, screenshot, locale):
    journey = Journey(page, locale, screenshot)

    # An agency member logs in and opens the service catalog.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))
    journey.in_language()
    journey.shot("01-login")
    journey.log_in("member.a")
    journey.shot("02-home")
    page.get_by_role("navigation").get_by_role("link", name=journey["catalog"]).click()
    expect(page.locator("h1")).to_have_text(journey["catalog"])
    journey.shot("03-catalog")

    # The virtual machine's order form.
    vm_heading = page.get_by_role("heading", name=journey["vm"], exact=True)
    page.get_by_role("link").filter(has=vm_heading).click()
    expect(page.locator("h1")).to_contain_text(journey["vm"])
    page.get_by_label(journey["flavour"]).select_option(label=journey["medium"])
    page.get_by_label(journey["purpose"]).fill(journey["purpose_text"])
    # The quota preview follows the form: medium takes 2 vCPUs and 4 GB.
    quota = page.locator("#quota-table")
    expect(quota.locator('tr[data-resource="vcpus"] .cost')).to_have_text("2")
    expect(quota.locator('tr[data-resource="ram_gb"] .cost')).to_have_text("4")
    journey.shot("04-order-form")

    # A bad host name: the error shows next to the field, the values stay, nothing is ordered.
    page.get_by_label(journey["hostname"]).fill("Web_01!")
    page.get_by_role("button", name=journey["submit"]).click()
    hostname_field = page.locator('.field[data-field="hostname"]')
    expect(hostname_field.locator(".field-error")).to_have_text(journey["bad_format"])
    expect(page.locator(".field-error")).to_have_count(1)
    expect(page.get_by_label(journey["hostname"])).to_have_value("Web_01!")
    expect(page.get_by_label(journey["flavour"])).to_have_value("medium")
    expect(page.get_by_label(journey["purpose"])).to_have_value(journey["purpose_text"])
    journey.shot("05-bad-hostname")
    assert count_orders(app) == 0

    # Corrected, it is submitted and waits for approval (medium is too big to pass alone).
    page.get_by_label(journey["hostname"]).fill("web-01")
    page.get_by_role("button", name=journey["submit"]).click()
    expect(page).to_have_url(re.compile(r"/orders/\d+$"))
    expect(page.locator("h1 .badge")).to_have_text(journey["awaiting"])
    expect(page.locator(".facts")).to_contain_text("web-01")
    expect(page.locator(".facts")).to_contain_text(journey["medium"])
    journey.shot("06-submitted")
    number = page.locator("h1").inner_text().split("·")[0].strip()
    assert number
    assert count_orders(app) == 1
    journey.log_out()

    # The agency manager approves the first step; it then waits for the platform.
    journey.log_in("manager.a")
    journey.open_approval(number, "07-manager")
    journey.approve(journey["manager_comment"], "07-manager")
    expect(page.locator("h1 .badge")).to_have_text(journey["awaiting"])
    journey.log_out()

    # A platform operator approves the last step: the request is approved.
    journey.log_in("operator")
    journey.open_approval(number, "08-operator")
    journey.approve(journey["operator_comment"], "08-operator")
    expect(page.locator("h1 .badge")).to_have_text(journey["approved"])
    journey.log_out()

    # The member sees it approved, in the list and on its page.
    journey.log_in("member.a")
    page.get_by_role("navigation").get_by_role("link", name=journey["requests"], exact=True).click()
    row = page.locator("table.list tbody tr", has_text=number)
    expect(row.locator(".badge")).to_have_text(journey["approved"])
    journey.shot("09-requests")
    row.get_by_role("link", name=number).click()
    expect(page.locator("h1 .badge")).to_have_text(journey["approved"])
    expect(page.locator(".steps")).to_contain_text(journey["manager_comment"])
    expect(page.locator(".steps")).to_contain_text(journey["operator_comment"])
    journey.shot("10-approved")

    # Everything the pages asked for came from the portal itself.
    assert browser_log.requests
    foreign = [url for url in browser_log.requests if not live_server.is_own(url)]
    assert not foreign, f"requests to other hosts: {foreign}"


def test_the_requester_is_not_offered_to_approve(page, screenshot):
    journey = Journey(page, "zh_CN", screenshot)
    journey.log_in("member.a")
    page.goto("/catalog/vm")
    page.get_by_label(journey["hostname"]).fill("web-02")
    page.get_by_label(journey["flavour"]).select_option(label=journey["medium"])
    page.get_by_label(journey["purpose"]).fill(journey["purpose_text"])
    page.get_by_role("button", name=journey["submit"]).click()
    expect(page.locator("h1 .badge")).to_have_text(journey["awaiting"])
    expect(page.get_by_role("button", name=journey["approve"], exact=True)).to_have_count(0)
