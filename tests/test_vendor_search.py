"""Vendor search by ZIP + radius (GET /vendors/search): the geo index on vendor profiles, through the API.

Also the geohash arithmetic it rests on (no I/O): every point of a circle lies in a covering cell.
"""

from __future__ import annotations

import itertools
import math
import random
from typing import Any

import pytest

from shared.auth.principal import Principal, Role
from shared.connections import logic as connections_logic
from shared.connections.models import ConnectionRequest
from shared.geo import geohash as geo
from shared.geo.zips import centroid
from shared.ids import new_id, utc_now
from shared.orgs.location import locate_vendor
from shared.orgs.models import OrgItem
from shared.search import dal, logic
from tests.conftest import call_api
from tests.factories import Caller, add_user, sign_up

_serial = itertools.count(1)
BOSTON = "02110"
HIT_FIELDS = {"org_id", "name", "city", "state", "zip", "services_offered", "partner_id", "distance_miles",
              "connection"}


def sign_up_vendor(name: str, zip_code: str, *, city: str = "Town", state: str = "MA", lat: float | None = None,
                   lng: float | None = None, services: tuple[str, ...] = ("brakes",)) -> Caller:
    user_id = f"usr_vendor_search{next(_serial)}"
    address: dict[str, Any] = {"line1": "1 Main St", "city": city, "state": state, "zip": zip_code}
    if lat is not None and lng is not None:
        address |= {"lat": lat, "lng": lng}
    r = call_api("POST", "/organizations", as_user={"sub": user_id, "email": f"{user_id}@example.com"},
                 json_body={"name": name, "kind": "vendor", "admin_name": "Val Vendor", "address": address,
                            "contact_email": f"shop-{user_id}@example.com", "services_offered": list(services)})
    assert r.status == 201, r.body
    me = r.json()
    return Caller(user_id=user_id, org_id=me["organization"]["org_id"], role=me["user"]["role"])


def search(caller: Caller, zip_code: str = BOSTON, radius: float | str = 100, **query: Any) -> Any:
    return call_api("GET", "/vendors/search", as_user=caller, query={"zip": zip_code, "radius_miles": radius, **query})


def found(caller: Caller, zip_code: str = BOSTON, radius: float | str = 100, **query: Any) -> list[dict[str, Any]]:
    r = search(caller, zip_code, radius, **query)
    assert r.status == 200, r.body
    return list(r.json()["items"])


def point_at(origin: tuple[float, float], miles: float, bearing_degrees: float) -> tuple[float, float]:
    """The point `miles` from `origin` along a great circle with the given bearing."""
    lat1, lng1 = map(math.radians, origin)
    angle, bearing = miles / geo.EARTH_RADIUS_MILES, math.radians(bearing_degrees)
    lat2 = math.asin(math.sin(lat1) * math.cos(angle) + math.cos(lat1) * math.sin(angle) * math.cos(bearing))
    lng2 = lng1 + math.atan2(math.sin(bearing) * math.sin(angle) * math.cos(lat1),
                             math.cos(angle) - math.sin(lat1) * math.sin(lat2))
    return math.degrees(lat2), (math.degrees(lng2) + 540) % 360 - 180


@pytest.fixture
def fleet() -> Caller:
    return sign_up("fleet", "Harbor Fleet")


# -- through the API -----------------------------------------------------------------------------
@pytest.mark.usefixtures("dynamodb")
class TestVendorSearch:
    def test_nearest_first_with_distances_and_only_the_listed_fields(self, fleet):
        boston = centroid(BOSTON)
        assert boston is not None
        worcester = sign_up_vendor("Worcester Diesel", "01604", city="Worcester", services=("tires", "brakes"))
        cambridge = sign_up_vendor("Cambridge Fleet Care", "02139", city="Cambridge", lat=42.3647, lng=-71.1042)
        hartford = sign_up_vendor("Hartford Heavy", "06103", city="Hartford", state="CT")
        new_york = sign_up_vendor("NYC Truck", "10001", city="New York", state="NY")
        sign_up("fleet", "Another Fleet")  # fleets are never results

        hits = found(fleet, radius=100)
        assert [h["org_id"] for h in hits] == [cambridge.org_id, worcester.org_id, hartford.org_id]
        assert all(set(h) == HIT_FIELDS for h in hits)
        distances = [h["distance_miles"] for h in hits]
        assert distances == sorted(distances)
        assert distances == [2.7, 37.6, 92.8]  # great-circle miles from the ZIP centroid, one decimal
        first = hits[1]
        assert first["name"] == "Worcester Diesel" and first["city"] == "Worcester" and first["state"] == "MA"
        assert first["zip"] == "01604" and first["services_offered"] == ["tires", "brakes"]
        assert len(first["partner_id"]) == 5 and first["connection"] is None

        assert new_york.org_id in [h["org_id"] for h in found(fleet, radius=250)]
        assert [h["org_id"] for h in found(fleet, "10001", 5)] == [new_york.org_id]

    def test_the_search_crosses_the_antimeridian(self, fleet):
        adak = centroid("99546")  # Adak, Alaska: 177 degrees west
        assert adak is not None
        across = sign_up_vendor("Semisopochnoi Marine", "99546", city="Adak", state="AK", lat=51.95, lng=179.6)
        hits = found(fleet, "99546", 200)
        assert [h["org_id"] for h in hits] == [across.org_id]
        assert hits[0]["distance_miles"] == round(geo.haversine_miles(*adak, 51.95, 179.6), 1)
        assert found(fleet, "99546", 100) == []

    def test_radius_edges(self, fleet):
        boston = centroid(BOSTON)
        assert boston is not None
        inside = sign_up_vendor("Just Inside", "02110", lat=point_at(boston, 9.95, 10)[0],
                                lng=point_at(boston, 9.95, 10)[1])
        outside = sign_up_vendor("Just Outside", "02110", lat=point_at(boston, 10.05, 200)[0],
                                 lng=point_at(boston, 10.05, 200)[1])
        assert [h["org_id"] for h in found(fleet, radius=10)] == [inside.org_id]
        assert [h["org_id"] for h in found(fleet, radius=10.1)] == [inside.org_id, outside.org_id]
        assert found(fleet, radius=9.9) == []
        at_the_door = sign_up_vendor("Same Block", "02110")  # at the centroid itself: distance 0
        assert found(fleet, radius=1)[0] == found(fleet, radius=500)[0]
        assert found(fleet, radius=1)[0]["org_id"] == at_the_door.org_id
        assert found(fleet, radius=1)[0]["distance_miles"] == 0.0

    @pytest.mark.parametrize("radius", ["0", "0.5", "501", "-3", "far", ""])
    def test_radius_out_of_range_is_422_naming_it(self, fleet, radius):
        r = search(fleet, radius=radius)
        assert r.status == 422, r.body
        assert [d["field"] for d in r.json()["error"]["details"]] == ["radius_miles"]

    @pytest.mark.parametrize(("zip_code", "message"), [("00000", "unknown"), ("99999", "unknown"), ("0211", ""),
                                                       ("021100", ""), ("abcde", ""), ("", "pattern"),
                                                       # other scripts' digits: the ZIP package panics on them
                                                       ("\u0660\u0662\u0661\u0661\u0660", ""),
                                                       ("\uff10\uff12\uff11\uff11\uff10", "")])
    def test_bad_or_unknown_zip_is_422_naming_it(self, fleet, zip_code, message):
        r = search(fleet, zip_code=zip_code)
        assert r.status == 422, r.body
        details = r.json()["error"]["details"]
        assert [d["field"] for d in details] == ["zip"]
        assert message in details[0]["message"]

    def test_missing_zip_or_radius_is_422_naming_it(self, fleet):
        r = call_api("GET", "/vendors/search", as_user=fleet, query={"zip": BOSTON})
        assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "radius_miles"
        r = call_api("GET", "/vendors/search", as_user=fleet, query={"radius_miles": 10})
        assert r.status == 422 and r.json()["error"]["details"] == [
            {"in": "query", "field": "zip", "message": "required: a 5-digit US ZIP code"}]

    def test_vendor_roles_may_not_search(self):
        vendor_admin = sign_up_vendor("Some Shop", "02110")
        vendor = add_user(vendor_admin, "vendor")
        for caller in (vendor_admin, vendor):
            r = search(caller)
            assert r.status == 403 and r.error_code == "forbidden"
            r = call_api("GET", "/vendors/search", as_user=caller)  # whatever it sends
            assert r.status == 403
        assert call_api("GET", "/vendors/search", query={"zip": BOSTON, "radius_miles": 5}).status == 401

    def test_every_fleet_role_may_search(self, fleet):
        for role in ("customer", "manager"):
            assert search(add_user(fleet, role)).status == 200

    def test_pages_follow_each_other_and_cursors_are_checked(self, fleet):
        boston = centroid(BOSTON)
        assert boston is not None
        vendors = []
        for n in range(7):
            lat, lng = point_at(boston, 3 + 4 * n, 45 * n)
            vendors.append(sign_up_vendor(f"Shop {n}", "02110", lat=lat, lng=lng))
        pages, cursor = [], None
        while True:
            r = search(fleet, radius=50, limit=3, **({"cursor": cursor} if cursor else {}))
            assert r.status == 200, r.body
            pages.append([h["org_id"] for h in r.json()["items"]])
            cursor = r.json()["next_cursor"]
            if cursor is None:
                break
        assert [len(p) for p in pages] == [3, 3, 1]
        assert list(itertools.chain(*pages)) == [v.org_id for v in vendors]

        first_cursor = search(fleet, radius=50, limit=3).json()["next_cursor"]
        assert search(fleet, radius=50, limit=2, cursor=first_cursor).status == 200  # page size may change
        for bad in ("garbage", first_cursor[:-2] + "xx", "eyJvIjotMX0", "W10"):
            r = search(fleet, radius=50, cursor=bad)
            assert r.status == 422, (bad, r.body)
            assert r.json()["error"]["details"][0]["field"] == "cursor"
        # a cursor of another search (other radius or ZIP) is refused, not applied
        assert search(fleet, radius=60, cursor=first_cursor).status == 422
        assert search(fleet, zip_code="02139", radius=50, cursor=first_cursor).status == 422
        forged = logic.encode_cursor(logic.MAX_OFFSET + 1, logic.Nearby(1.0, "org_x"), BOSTON, 50)
        assert search(fleet, radius=50, cursor=forged).status == 422
        assert search(fleet, radius=50, limit=101).status == 422
        default_page = search(fleet, radius=50).json()
        assert len(default_page["items"]) == 7 and default_page["next_cursor"] is None

    def test_a_vendor_joining_or_leaving_between_pages_neither_repeats_nor_drops_one(self, fleet):
        boston = centroid(BOSTON)
        assert boston is not None
        vendors = [sign_up_vendor(f"Shop {n}", "02110", lat=point_at(boston, 5 + 5 * n, 90)[0],
                                  lng=point_at(boston, 5 + 5 * n, 90)[1]) for n in range(5)]
        first = search(fleet, radius=50, limit=2).json()
        assert [h["org_id"] for h in first["items"]] == [v.org_id for v in vendors[:2]]
        sign_up_vendor("Newcomer", "02110", lat=boston[0], lng=boston[1])  # nearer than all of them
        second = search(fleet, radius=50, limit=2, cursor=first["next_cursor"]).json()
        assert [h["org_id"] for h in second["items"]] == [v.org_id for v in vendors[2:4]]  # no repeat
        for gone in vendors[:2]:  # two already shown move away: the next page must not skip vendor 4
            me = call_api("GET", "/me", as_user=gone).json()["organization"]
            r = call_api("PATCH", f"/organizations/{gone.org_id}", as_user=gone, json_body={
                "version": me["version"], "address": {"line1": "1 Far Rd", "city": "Seattle", "state": "WA",
                                                      "zip": "98101"}})
            assert r.status == 200, r.body
        third = search(fleet, radius=50, limit=2, cursor=second["next_cursor"]).json()
        assert [h["org_id"] for h in third["items"]] == [vendors[4].org_id] and third["next_cursor"] is None

    def test_connected_vendors_are_marked(self, fleet):
        pending = sign_up_vendor("Pending Shop", "02139")
        accepted = sign_up_vendor("Accepted Shop", "01604")
        stranger = sign_up_vendor("Stranger Shop", "02903")
        fleet_principal = Principal(user_id=fleet.user_id, org_id=fleet.org_id, role=Role(fleet.role))
        connections_logic.request_connection(fleet_principal, ConnectionRequest(org_id=pending.org_id))
        requested, _ = connections_logic.request_connection(fleet_principal, ConnectionRequest(org_id=accepted.org_id))
        vendor_principal = Principal(user_id=accepted.user_id, org_id=accepted.org_id, role=Role(accepted.role))
        connections_logic.accept(vendor_principal, requested.connection_id)
        ended, _ = connections_logic.request_connection(fleet_principal, ConnectionRequest(org_id=stranger.org_id))
        stranger_principal = Principal(user_id=stranger.user_id, org_id=stranger.org_id, role=Role(stranger.role))
        connections_logic.reject(stranger_principal, ended.connection_id)  # an ended connection is no mark

        marks = {h["org_id"]: h["connection"] for h in found(fleet, radius=100)}
        assert marks == {pending.org_id: "pending", accepted.org_id: "accepted", stranger.org_id: None}
        other_fleet = sign_up("fleet", "Other Fleet")  # marks are the caller's own connections only
        assert {h["connection"] for h in found(other_fleet, radius=100)} == {None}

    def test_vendors_without_a_location_are_not_found(self, fleet):
        """Sign-up and updates refuse an address we cannot place (test_organizations_api.py); a vendor stored
        before that check, without lat/lng and with a ZIP without a centroid, stays out of the index."""
        older = sign_up_vendor("Older Shop", "02139")
        item = OrgItem.get(f"ORG#{older.org_id}", "PROFILE")
        item.address = {**item.address, "zip": "00000", "lat": None, "lng": None}
        locate_vendor(item)
        item.save()
        assert item.lat is None and item.gsi1pk is None and item.gsi1sk is None
        fleet_item = OrgItem.get(f"ORG#{fleet.org_id}", "PROFILE")
        assert fleet_item.gsi1pk is None and fleet_item.lat is not None  # placed, but fleets are not in the index
        assert found(fleet, radius=500) == []

    def test_a_vendor_that_moves_moves_in_the_index(self, fleet):
        vendor = sign_up_vendor("Moving Shop", "02139")
        assert [h["org_id"] for h in found(fleet, radius=10)] == [vendor.org_id]
        profile = call_api("GET", f"/organizations/{vendor.org_id}", as_user=vendor).json()
        new_address = {"line1": "2 Pike St", "city": "Seattle", "state": "WA", "zip": "98101"}
        r = call_api("PATCH", f"/organizations/{vendor.org_id}", as_user=vendor,
                     json_body={"version": profile["version"], "address": new_address})
        assert r.status == 200, r.body
        assert found(fleet, radius=500) == []
        seattle = found(fleet, "98101", 5)
        assert [(h["org_id"], h["city"], h["distance_miles"]) for h in seattle] == [(vendor.org_id, "Seattle", 0.0)]
        item = OrgItem.get(f"ORG#{vendor.org_id}", "PROFILE")
        assert item.gsi1pk == f"GEO#{geo.encode(47.6114, -122.3305)[:3]}"
        assert item.gsi1sk.startswith(geo.encode(47.6114, -122.3305, 6)) and item.gsi1sk.endswith(vendor.org_id)

        # a change that leaves the address alone keeps the location; an explicit lat/lng wins over the ZIP
        version = r.json()["version"]
        r = call_api("PATCH", f"/organizations/{vendor.org_id}", as_user=vendor,
                     json_body={"version": version, "name": "Moved Shop"})
        assert r.status == 200 and found(fleet, "98101", 5)[0]["name"] == "Moved Shop"
        r = call_api("PATCH", f"/organizations/{vendor.org_id}", as_user=vendor,
                     json_body={"version": version + 1, "address": {**new_address, "lat": 42.3647, "lng": -71.1042}})
        assert r.status == 200, r.body
        assert [h["org_id"] for h in found(fleet, radius=10)] == [vendor.org_id] and found(fleet, "98101", 5) == []
        # an address we cannot place is refused, and the vendor stays where it was
        r = call_api("PATCH", f"/organizations/{vendor.org_id}", as_user=vendor,
                     json_body={"version": version + 2, "address": {**new_address, "zip": "00000"}})
        assert r.status == 422 and [h["org_id"] for h in found(fleet, radius=10)] == [vendor.org_id]


@pytest.mark.usefixtures("dynamodb")
def test_dense_and_sparse_areas_match_a_brute_force_search(monkeypatch):
    """Hundreds of vendors, most in one small area (cells split into children): same answer as measuring all."""
    reads: list[tuple[str, bool]] = []
    read_cell = dal.read_cell

    def spy(bits: str, limit: int | None) -> dal.CellRead:
        result = read_cell(bits, limit)
        reads.append((bits, result.truncated))
        return result

    monkeypatch.setattr(dal, "read_cell", spy)
    rng = random.Random(7)
    boston = centroid(BOSTON)
    assert boston is not None
    now = utc_now()
    places: dict[str, tuple[float, float]] = {}
    with OrgItem.batch_write() as batch:
        for n in range(400):
            miles = rng.uniform(0, 3) if n < 250 else rng.uniform(0, 400)  # a dense city, then a sparse region
            lat, lng = point_at(boston, miles, rng.uniform(0, 360))
            if n < 30:
                lat, lng = point_at(boston, 0.5, 90)  # thirty in one building: ties, broken by org id
            org_id = new_id("org")
            item = OrgItem(f"ORG#{org_id}", "PROFILE", org_id=org_id, name=f"Vendor {n}", kind="vendor",
                           address={"line1": "1", "city": "C", "state": "MA", "zip": "02110", "lat": lat, "lng": lng},
                           contact_email="v@example.com", services_offered=[], created_at=now, updated_at=now)
            locate_vendor(item)
            batch.save(item)
            places[org_id] = (lat, lng)
    for radius, count in ((1, 10), (2, 300), (25, 40), (250, 400), (500, 5)):
        expected = sorted((geo.haversine_miles(*boston, *p), o) for o, p in places.items())
        expected = [(d, o) for d, o in expected if d <= radius][:count]
        got = logic.nearest_vendors(*boston, radius, count)
        assert [(n.org_id) for n in got] == [o for _, o in expected], radius
        assert [round(n.distance_miles, 9) for n in got] == [round(d, 9) for d, _ in expected]
    assert any(truncated for _, truncated in reads), "the dense area must stop a read"
    assert max(len(bits) for bits, _ in reads) > 15, "a dense cell is read as smaller cells"

    fleet = Caller(user_id="usr_dense", org_id="org_dense_fleet", role="manager")
    everyone = sorted((geo.haversine_miles(*boston, *p), o) for o, p in places.items())
    paged: list[str] = []
    cursor = None
    for _ in range(100):
        page = search(fleet, radius=2, limit=7, **({"cursor": cursor} if cursor else {})).json()
        paged += [h["org_id"] for h in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert paged == [o for d, o in everyone if d <= 2]


# -- geohash arithmetic (no I/O) -----------------------------------------------------------------
def test_geohash_encoding_matches_the_reference_values():
    assert geo.encode(57.64911, 10.40744, 11) == "u4pruydqqvj"
    assert geo.encode(42.6, -5.6, 5) == "ezs42"
    assert geo.encode(-25.382708, -49.265506, 8) == "6gkzwgjz"
    cell = geo.bounds("ezs42")
    assert cell.lat_min <= 42.6 <= cell.lat_max and cell.lng_min <= -5.6 <= cell.lng_max
    assert cell.lat_max - cell.lat_min == pytest.approx(180 / 2**12)
    assert cell.lng_max - cell.lng_min == pytest.approx(360 / 2**13)
    assert geo.encode(90, 180, 3) == geo.encode(89.99, -179.99, 3)  # the edges wrap or clamp, never fail


CENTERS = [(42.3576, -71.0514), (25.7617, -80.1918), (47.6, -122.33), (51.9, -176.6), (13.48, 144.75),
           (64.8, -147.7), (0.0, 0.0), (-33.9, 151.2), (89.5, 30.0), (51.5, 179.9)]


@pytest.mark.parametrize("center", CENTERS)
@pytest.mark.parametrize(("radius", "precision"), [(1, 6), (10, 5), (25, 4), (50, 4), (100, 3), (250, 3), (500, 3)])
def test_every_point_within_the_radius_lies_in_a_covering_cell(
    center: tuple[float, float], radius: float, precision: int
) -> None:
    rng = random.Random(f"{center}{radius}")
    cells = geo.cover(*center, radius, precision)
    assert cells and all(len(c) == precision for c in cells)
    for n in range(1500):
        # random bearings and distances, and the rim itself (the hardest points)
        miles = radius if n % 5 == 0 else radius * math.sqrt(rng.random())
        point = point_at(center, miles * (1 - 1e-9), rng.uniform(0, 360))
        assert geo.encode(*point, precision) in cells, (point, miles)
    # each cell's distance is a true lower bound for its points
    for cell, nearest in rng.sample(sorted(cells.items()), min(20, len(cells))):
        box = geo.bounds(cell)
        for _ in range(50):
            p = (rng.uniform(box.lat_min, box.lat_max), rng.uniform(box.lng_min, box.lng_max))
            assert geo.haversine_miles(*center, *p) >= nearest - 1e-6


def test_the_walk_starts_with_few_cells_and_estimates_how_far_a_read_got():
    for zip_code in (BOSTON, "59701", "96701", "99546"):  # Boston, Butte, Hawaii, the Aleutians
        center = centroid(zip_code)
        assert center is not None
        assert 1 <= len(geo.cover(*center, 500, logic.START_PRECISION)) <= 200
    dr5 = geo.to_bits("dr5")
    assert logic.fraction_read(dr5, "dr5" + "0" * 9) == pytest.approx(1 / 2**20)
    assert logic.fraction_read(dr5, "dr5h" + "0" * 8) == pytest.approx(0.5 + 1 / 2**20)
    assert logic.fraction_read(dr5, "dr5" + "z" * 9) == 1.0
    assert logic.fraction_read(dr5 + "1", "dr5" + "z" * 9) == 1.0
    assert logic.split_depth(64 / 0.5, dr5) == 4  # ~128 vendors: sixteen parts of ~8
    assert logic.split_depth(5, dr5) == 1 and logic.split_depth(1e9, dr5) == logic.MAX_SPLIT_BITS
    assert logic.split_depth(1e9, "0" * (logic.FINEST_BITS - 2)) == 2  # never finer than the finest cells


@pytest.mark.parametrize("geohash", ["dr5", "9q8y", "u4pru", "b", "zzzz"])
@pytest.mark.parametrize("extra", ["", "0", "1", "01", "110", "1011"])
def test_a_cell_of_any_bit_depth_is_a_rectangle_and_one_key_range(geohash: str, extra: str) -> None:
    bits = geo.to_bits(geohash) + extra
    assert geo.bits_bounds(geo.to_bits(geohash)) == geo.bounds(geohash)
    box, parent = geo.bits_bounds(bits), geo.bounds(geohash)
    first, last = geo.key_range(bits)
    rng = random.Random(bits)
    for _ in range(300):
        inside = geo.encode(rng.uniform(box.lat_min, box.lat_max), rng.uniform(box.lng_min, box.lng_max))
        assert first <= f"{inside}#org_x" <= last and geo.to_bits(inside).startswith(bits)
        anywhere = geo.encode(rng.uniform(parent.lat_min, parent.lat_max), rng.uniform(parent.lng_min, parent.lng_max))
        assert (first <= f"{anywhere}#org_x" <= last) == geo.to_bits(anywhere).startswith(bits)
    halves = [geo.bits_bounds(h) for h in geo.descendants(bits, 1)]
    assert [geo.key_range(h) for h in geo.descendants(bits, 1)] == sorted(geo.key_range(h) for h in
                                                                          geo.descendants(bits, 1))
    assert (halves[0].lat_min, halves[0].lng_min) == (box.lat_min, box.lng_min)
    assert (halves[1].lat_max, halves[1].lng_max) == (box.lat_max, box.lng_max)


def test_zip_centroids_come_from_the_package():
    assert centroid("02110") == pytest.approx((42.3576, -71.0514))
    assert centroid("00000") is None and centroid("0211") is None and centroid("abcde") is None
