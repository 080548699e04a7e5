"""Provisioning in a real browser, with a real Celery worker beside the portal: an
agency member orders a leased test VM (approved automatically), watches the steps
advance on the request page without reloading it, opens the new resource and stops it.
The cloud is the simulated driver (a boot takes a couple of seconds, so the progress
can be seen); tests/integration drives the real OpenStack."""

import pytest
from celery.contrib.testing.worker import start_worker
from flask_babel import force_locale

from portal.extensions import celery
from portal.inventory.states import ResourceState
from portal.orders.states import OrderState
from portal.provisioning.states import OPERATION_KINDS
from tests.e2e.test_order_journey import Journey

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

pytestmark = pytest.mark.e2e


@pytest.fixture
def worker(app):
    """A Celery worker in this process, on the app's in-memory broker, so that what the
    live server enqueues is run as in production (threads instead of processes)."""
    app.config["SIMULATED_BOOT_SECONDS"] = 2
    with start_worker(celery, pool="threads", concurrency=2, perform_ping_check=False):
        yield


def label(app, locale, text):
    with app.test_request_context(), force_locale(locale):
        return str(text)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_member_watches_the_vm_being_made_and_stops_it(
    app, worker, page, live_server, screenshot, locale
):
    journey = Journey(page, locale, screenshot)
    words = {
        "fulfilled": label(app, locale, OrderState.FULFILLED.label),
        "running": label(app, locale, ResourceState.ACTIVE.label),
        "stopped": label(app, locale, ResourceState.STOPPED.label),
        "stop": label(app, locale, OPERATION_KINDS["stop"]),
    }
    if locale == "zh_CN":
        assert all(not word.isascii() for word in words.values()), words
    journey.log_in("member.a")
    page.goto("/catalog/test_vm")
    page.locator("#f-hostname").fill("trial-web")
    page.locator("#f-purpose").fill("e2e")
    page.locator("form#order-form button[value=submit]").click()
    # The request page, while the worker runs: steps appear, then finish, no reload asked.
    expect(page.locator(".progress")).to_be_visible()
    journey.shot("20-provisioning")
    expect(page.locator("li.opstep-running, li.opstep-done").first).to_be_visible(timeout=60_000)
    expect(page.locator("h1 .badge")).to_have_text(words["fulfilled"], timeout=60_000)
    expect(page.locator("li.opstep-done")).to_have_count(3)  # two steps skipped (no volume)
    journey.shot("21-fulfilled")
    page.locator("a.button.primary[href^='/resources/']").click()
    expect(page.locator("h1 .badge")).to_have_text(words["running"])
    journey.shot("22-resource")
    page.get_by_role("button", name=words["stop"], exact=True).click()
    expect(page.locator("h1 .badge")).to_have_text(words["stopped"], timeout=60_000)
    journey.shot("23-stopped")
