"""The customer portal as a page (#21), in a real browser: headless Chromium (Debian's, driven by Playwright)
opens a customer's portal link on the dev server, as a customer would, and sees its sites on a map.

A failing test saves a screenshot in .dev/screenshots/ (the `browser_page` fixture)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.conftest import call_api
from tests.factories import sign_up
from tests.portal_helpers import (
    ALL_PERMISSIONS,
    create_customer,
    create_customer_user,
    create_site,
    enable_link,
    picture_key,
    record_service,
)

pytestmark = pytest.mark.usefixtures("dynamodb")
CHROMIUM = "/usr/bin/chromium"  # Debian's package (make test installs it when missing)
SCREENSHOTS = Path(__file__).resolve().parent.parent / ".dev" / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Chromium is missing: `make test` installs it (apt-get install chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def browser_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert errors == [], f"the page's script failed: {errors}"


def in_days(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def portal_world(permissions: dict[str, bool]) -> dict[str, Any]:
    """A vendor's customer with two sites (a circle and a polygon): the yard serviced 3 days ago, the
    garage 60 days ago; pictures of the yard; the customer user's link enabled."""
    vendor = sign_up("vendor", "Bay State Truck Repair")
    customer = create_customer(vendor, name="Harborview Apartments", permissions=permissions)
    yard = create_site(vendor, customer["customer_id"], name="North yard", lat=42.35, lng=-71.06,
                       geofence={"kind": "radius", "radius_m": 120})
    garage = create_site(vendor, customer["customer_id"], name="South garage", lat=42.34, lng=-71.05, geofence={
        "kind": "polygon", "points": [{"lat": 42.3405, "lng": -71.0505}, {"lat": 42.3405, "lng": -71.0495},
                                      {"lat": 42.3395, "lng": -71.0495}]})
    key = picture_key(vendor, yard["site_id"])
    r = call_api("PATCH", f"/sites/{yard['site_id']}", as_user=vendor,
                 json_body={"picture_keys": [key], "version": yard["version"]})
    assert r.status == 200, r.body
    record_service(vendor, yard["site_id"], service_name="Pressure wash", completed_at=in_days(-3),
                   vehicle={"unit_number": "T-101"}, picture_keys=[picture_key(vendor, yard["site_id"])])
    record_service(vendor, garage["site_id"], service_name="Snow removal", completed_at=in_days(-60))
    user = create_customer_user(vendor, customer["customer_id"], [yard["site_id"], garage["site_id"]])
    link = enable_link(vendor, user["customer_user_id"])
    return {"vendor": vendor, "user": user, "link": link, "yard": yard, "garage": garage}


def open_link(page: Any, server: Any, link_url: str) -> None:
    """Open the link the vendor sent, on the dev server (the link's own host is the web app's)."""
    parts = urlsplit(link_url)
    page.goto(f"{server.url}{parts.path}#{parts.fragment}")


def site_button(page: Any, name: str) -> Any:
    return page.locator("#sites button", has_text=name)


def test_the_link_shows_the_sites_green_where_serviced_and_a_wider_range_turns_one_green(browser_page, dev_server):
    world = portal_world(ALL_PERMISSIONS)
    page = browser_page
    open_link(page, dev_server, world["link"]["url"])
    page.wait_for_selector("#sites button")
    assert page.locator("h1").inner_text() == "Sites of Harborview Apartments"
    assert "#link=" not in page.url, "the token leaves the address bar once exchanged"
    assert page.evaluate("sessionStorage.getItem('fleetbridge.portal.session')") is not None
    assert "serviced" in (site_button(page, "North yard").get_attribute("class") or "")
    assert site_button(page, "South garage").get_attribute("class") == "idle", "serviced 60 days ago: grey"
    assert page.locator("path.geofence.serviced").count() == 1 and page.locator("path.geofence.idle").count() == 1
    assert page.locator("path.leaflet-interactive").count() >= 2
    assert page.locator(".leaflet-pane path").count() > 2, "the bundled US states outline is drawn (no tiles set)"

    page.fill("#from", (datetime.now(UTC) - timedelta(days=90)).strftime("%Y-%m-%d"))
    page.click("#range button[type=submit]")
    expect(page.locator("path.geofence.serviced")).to_have_count(2)  # (its policy forbids eval: no wait_for_function)
    assert site_button(page, "South garage").get_attribute("class") == "serviced"
    assert "2 sites, 2 serviced" in page.locator("#summary").inner_text()


def test_a_site_opens_with_what_the_customer_may_see(browser_page, dev_server):
    world = portal_world(ALL_PERMISSIONS)
    page = browser_page
    open_link(page, dev_server, world["link"]["url"])
    site_button(page, "North yard").click()
    page.wait_for_selector("#detail h2")
    detail = page.locator("#detail")
    assert detail.locator("h2").inner_text() == "North yard"
    assert "Pressure wash" in detail.inner_text() and "T-101" in detail.inner_text()
    assert detail.locator("h3", has_text="Vehicle visits").count() == 1
    assert detail.locator("img").count() == 2, "the service's picture and the site's"
    page.reload()  # the session is kept for this tab: no link needed again
    page.wait_for_selector("#sites button")


def test_without_picture_or_visit_permissions_no_pictures_and_no_empty_shells(browser_page, dev_server):
    world = portal_world({**ALL_PERMISSIONS, "can_view_service_pictures": False, "can_view_site_pictures": False,
                          "can_view_vehicle_site_visits": False, "can_filter_geofence_by_service": False})
    page = browser_page
    open_link(page, dev_server, world["link"]["url"])
    site_button(page, "North yard").click()
    page.wait_for_selector("#detail h2")
    detail = page.locator("#detail")
    assert "Pressure wash" in detail.inner_text()
    assert detail.locator("img").count() == 0
    assert "Vehicle visits" not in detail.inner_text() and "Pictures" not in detail.inner_text()
    assert page.locator("#service-field").is_hidden(), "no service filter without its permission"


@pytest.mark.parametrize("how, words", [
    ("disabled", "disabled by your service provider"),
    ("tampered", "not valid"),
])
def test_a_link_that_does_not_work_says_what_happened(browser_page, dev_server, how, words):
    world = portal_world(ALL_PERMISSIONS)
    url = world["link"]["url"]
    if how == "disabled":
        user_id = world["user"]["customer_user_id"]
        r = call_api("DELETE", f"/customer-users/{user_id}/portal-link", as_user=world["vendor"])
        assert r.status in (200, 204), r.body
    else:
        url = url[:-6] + ("AAAAAA" if not url.endswith("AAAAAA") else "BBBBBB")
    page = browser_page
    open_link(page, dev_server, url)
    page.wait_for_selector("#problem:not([hidden])")
    assert words in page.locator("#problem").inner_text()
    assert "Ask your service provider for a new link" in page.locator("#problem").inner_text()
    assert page.locator("#app").is_hidden()


def test_the_page_is_served_with_a_policy_that_allows_only_our_origin(dev_server):
    import httpx

    answer = httpx.get(f"{dev_server.url}/portal")
    policy = answer.headers["content-security-policy"]
    assert answer.status_code == 200 and "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy and "cdn" not in answer.text.lower()
    assert httpx.get(f"{dev_server.url}/portal/assets/leaflet.js").status_code == 200
    assert httpx.get(f"{dev_server.url}/portal/assets/..%2Fsettings.py").status_code == 404
