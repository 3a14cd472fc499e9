"""Generate the greenery raw data (dbt seeds) deterministically.

Standard library only, fixed seed: running it twice writes byte-identical files. The output reproduces
the sizes, distributions and funnel counts of the course dataset (see the project README):

    addresses 150, users 130, promos 6 (1 active), products 30, orders 361 (delivered 305, shipped 30,
    preparing 26; ups 169, fedex 96, usps 60, dhl 10), order_items 862, events 3553 over 578 sessions
    and 124 users (page_view 1871, add_to_cart 986, checkout 361, package_shipped 335); sessions with
    add_to_cart 467, with checkout 361, with package_shipped 335.

Usage: python scripts/generate_data.py [--out-dir DIR]   (default: the project's seeds/ and feeds/)
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

SEED = 20210208
PROJECT_DIR = Path(__file__).resolve().parent.parent

N_ADDRESSES = 150
N_USERS = 130
N_EVENT_USERS = 124
N_SESSIONS = 578
N_ORDERS = 361
N_ORDER_ITEMS = 862
N_PAGE_VIEWS = 1871
N_ADD_TO_CART = 986
N_ATC_SESSIONS = 467
ORDER_STATUSES = {"delivered": 305, "shipped": 30, "preparing": 26}
SHIPPING = {"ups": 169, "fedex": 96, "usps": 60, "dhl": 10}

# Inventory by shop week (weeks 1..4) of the products whose stock moves; every other product keeps
# the same inventory every week.
WEEKLY_INVENTORY = {
    "Philodendron": (51, 25, 15, 30),
    "Pothos": (40, 20, 0, 20),
    "Monstera": (77, 64, 50, 31),
    "String of pearls": (58, 10, 0, 10),
    "Bamboo": (56, 56, 44, 23),
    "ZZ Plant": (89, 89, 53, 41),
}
OTHER_PRODUCTS = (
    "Aloe Vera",
    "Snake Plant",
    "Fiddle Leaf Fig",
    "Rubber Plant",
    "Peace Lily",
    "Spider Plant",
    "Calathea Makoyana",
    "Cactus",
    "Birds Nest Fern",
    "Boston Fern",
    "Jade Plant",
    "Orchid",
    "Majesty Palm",
    "Ponytail Palm",
    "Arrow Head",
    "Money Tree",
    "Angel Wings Begonia",
    "Pilea Peperomioides",
    "Dragon Tree",
    "Alocasia Polly",
    "Bird of Paradise",
    "Ficus",
    "Echeveria",
    "Haworthia",
)
PROMOS = (  # promo_id, discount, status
    ("leverage", 20, "active"),
    ("synergy", 10, "inactive"),
    ("paradigm", 5, "inactive"),
    ("bandwidth", 15, "inactive"),
    ("holistic", 25, "inactive"),
    ("pivot", 12, "inactive"),
)
FIRST_NAMES = (
    "Ava", "Ben", "Cleo", "Dan", "Eve", "Finn", "Gia", "Hugo", "Iris", "Jon", "Kai", "Lena", "Milo",
    "Nina", "Omar", "Pia", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Vic", "Wes", "Xena", "Yara", "Zack",
)  # fmt: skip
LAST_NAMES = (
    "Adams", "Baker", "Clark", "Diaz", "Evans", "Fisher", "Garcia", "Hughes", "Ito", "Jones", "Khan",
    "Lopez", "Moore", "Nguyen", "Owens", "Patel", "Reed", "Silva", "Turner", "Vance", "Walsh", "Young",
)  # fmt: skip
STREETS = ("Oak", "Maple", "Cedar", "Pine", "Elm", "Birch", "Willow", "Aspen", "Spruce", "Juniper")
STREET_KINDS = ("St", "Ave", "Rd", "Ln", "Way", "Blvd", "Ct")
STATES = ("CA", "TX", "NY", "FL", "WA", "IL", "CO", "OR", "GA", "MA", "NC", "AZ")

EVENTS_START = datetime(2021, 2, 8)  # events span four days: Feb 8..11
ORDERS_START = datetime(2021, 2, 9)  # orders span two days: Feb 9..10
SITE = "https://greenery.example.com"
TS = "%Y-%m-%d %H:%M:%S"


@dataclass
class Session:
    session_id: str
    user_id: str
    started_at: datetime
    carted: list[str] = field(default_factory=list)  # product ids added to cart
    viewed_extra: list[str] = field(default_factory=list)  # viewed, not added
    order: dict | None = None


class Gen:
    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def split(self, total: int, parts: int, minimum: int, maximum: int) -> list[int]:
        """`parts` integers in [minimum, maximum] summing to `total`."""
        assert minimum * parts <= total <= maximum * parts
        sizes = [minimum] * parts
        rest = total - minimum * parts
        while rest:
            i = self.rng.randrange(parts)
            if sizes[i] < maximum:
                sizes[i] += 1
                rest -= 1
        return sizes

    def shuffled(self, items: list) -> list:
        items = list(items)
        self.rng.shuffle(items)
        return items


def generate(seed: int = SEED) -> dict[str, list[dict]]:
    g = Gen(seed)
    rng = g.rng

    addresses = []
    for _ in range(N_ADDRESSES):
        addresses.append(
            {
                "address_id": g.uuid(),
                "address": f"{rng.randint(1, 9999)} {rng.choice(STREETS)} {rng.choice(STREET_KINDS)}",
                "zipcode": rng.randint(10000, 99999),
                "state": rng.choice(STATES),
                "country": "United States",
            }
        )

    users = []
    for i in range(N_USERS):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        created = datetime(2020, 1, 1) + timedelta(minutes=rng.randrange(400 * 24 * 60))
        updated = (
            created + timedelta(minutes=rng.randrange(0, 30 * 24 * 60)) if rng.random() < 0.3 else created
        )
        users.append(
            {
                "user_id": g.uuid(),
                "first_name": first,
                "last_name": last,
                "email": f"{first.lower()}.{last.lower()}{i}@example.com",
                "phone_number": f"{rng.randint(200, 999)}-{rng.randint(200, 999)}-{rng.randint(0, 9999):04d}",
                "created_at": created.strftime(TS),
                "updated_at": min(updated, datetime(2021, 2, 7)).strftime(TS),
                "address_id": addresses[i]["address_id"],
            }
        )

    promos = [{"promo_id": p, "discount": d, "status": s} for p, d, s in PROMOS]

    names = list(WEEKLY_INVENTORY) + list(OTHER_PRODUCTS)
    products = []
    for name in names:
        weekly = WEEKLY_INVENTORY.get(name)
        products.append(
            {
                "product_id": g.uuid(),
                "name": name,
                "price": f"{rng.randint(900, 8900) // 50 * 50 / 100:.2f}",
                "inventory": weekly[3] if weekly else rng.randint(5, 90),
            }
        )
    inventory_feed = []
    for week in range(1, 5):
        for p in products:
            weekly = WEEKLY_INVENTORY.get(p["name"])
            inventory_feed.append(
                {
                    "week": week,
                    "product_id": p["product_id"],
                    "inventory": weekly[week - 1] if weekly else p["inventory"],
                }
            )
    price = {p["product_id"]: round(float(p["price"]) * 100) for p in products}
    product_ids = [p["product_id"] for p in products]

    # Sessions: 361 that check out (one order each), 106 that only add to cart, 111 that only browse.
    event_users = [u["user_id"] for u in g.shuffled(users)[:N_EVENT_USERS]]
    session_users = event_users + [rng.choice(event_users) for _ in range(N_SESSIONS - N_EVENT_USERS)]
    session_users = g.shuffled(session_users)
    sessions = []
    for i, user_id in enumerate(session_users):
        checks_out = i < N_ORDERS
        day0 = ORDERS_START if checks_out else EVENTS_START
        span_days = 2 if checks_out else 4
        started = day0 + timedelta(seconds=rng.randrange(span_days * 86400 - 3600))
        sessions.append(Session(g.uuid(), user_id, started))
    buying, carting, browsing = (
        sessions[:N_ORDERS],
        sessions[N_ORDERS:N_ATC_SESSIONS],
        sessions[N_ATC_SESSIONS:],
    )

    for s, n_items in zip(buying, g.split(N_ORDER_ITEMS, N_ORDERS, 1, 5), strict=True):
        s.carted = rng.sample(product_ids, n_items)
    for s, n_items in zip(carting, g.split(N_ADD_TO_CART - N_ORDER_ITEMS, len(carting), 1, 3), strict=True):
        s.carted = rng.sample(product_ids, n_items)
    extra_views = g.split(N_PAGE_VIEWS - (N_ADD_TO_CART + len(browsing)), N_SESSIONS, 0, 5)
    for s, n_extra in zip(sessions, extra_views, strict=True):
        candidates = [p for p in product_ids if p not in s.carted]
        s.viewed_extra = rng.sample(candidates, n_extra + (1 if s in browsing else 0))

    statuses = g.shuffled([st for st, n in ORDER_STATUSES.items() for _ in range(n)])
    shipping = g.shuffled([sv for sv, n in SHIPPING.items() for _ in range(n)])
    user_address = {u["user_id"]: u["address_id"] for u in users}
    spare_addresses = [a["address_id"] for a in addresses[N_USERS:]]
    orders, order_items = [], []
    for s, status in zip(buying, statuses, strict=True):
        order_id = g.uuid()
        created = s.started_at + timedelta(seconds=rng.randrange(300, 1800))
        items = [(pid, rng.randint(1, 4)) for pid in s.carted]
        order_cost = sum(price[pid] * qty for pid, qty in items)
        shipping_cost = rng.choice((0, 500, 750, 1000, 1250))
        promo = rng.choice(PROMOS) if rng.random() < 0.12 else None
        discount = promo[1] * 100 if promo else 0
        order = {
            "order_id": order_id,
            "user_id": s.user_id,
            "promo_id": promo[0] if promo else "",
            "address_id": rng.choice(spare_addresses) if rng.random() < 0.08 else user_address[s.user_id],
            "created_at": created.strftime(TS),
            "order_cost": f"{order_cost / 100:.2f}",
            "shipping_cost": f"{shipping_cost / 100:.2f}",
            "order_total": f"{max(order_cost + shipping_cost - discount, 0) / 100:.2f}",
            "tracking_id": "",
            "shipping_service": "",
            "estimated_delivery_at": "",
            "delivered_at": "",
            "status": status,
        }
        if status != "preparing":
            shipped_at = created + timedelta(seconds=rng.randrange(3600, 20 * 3600))
            order["tracking_id"] = g.uuid()
            order["shipping_service"] = shipping.pop()
            order["estimated_delivery_at"] = (shipped_at + timedelta(days=rng.randint(2, 5))).strftime(TS)
            if status == "delivered":
                order["delivered_at"] = (shipped_at + timedelta(days=rng.randint(1, 6))).strftime(TS)
            order["_shipped_at"] = shipped_at
        orders.append(order)
        s.order = order
        order_items += [{"order_id": order_id, "product_id": pid, "quantity": qty} for pid, qty in items]

    events = []

    def event(
        s: Session, at: datetime, kind: str, url: str, order_id: str = "", product_id: str = ""
    ) -> None:
        events.append(
            {
                "event_id": g.uuid(),
                "session_id": s.session_id,
                "user_id": s.user_id,
                "page_url": f"{SITE}{url}",
                "created_at": at.strftime(TS),
                "event_type": kind,
                "order_id": order_id,
                "product_id": product_id,
            }
        )

    for s in sessions:
        at = s.started_at
        viewed = g.shuffled(s.carted + s.viewed_extra)
        for pid in viewed:
            at += timedelta(seconds=rng.randrange(5, 120))
            event(s, at, "page_view", f"/product/{pid}", product_id=pid)
            if pid in s.carted:
                at += timedelta(seconds=rng.randrange(5, 60))
                event(s, at, "add_to_cart", f"/product/{pid}", product_id=pid)
        if s.order:
            o = s.order
            event(s, datetime.strptime(o["created_at"], TS), "checkout", "/checkout", order_id=o["order_id"])
            if "_shipped_at" in o:
                event(s, o.pop("_shipped_at"), "package_shipped", "/shipping", order_id=o["order_id"])

    events.sort(key=lambda e: (e["created_at"], e["event_id"]))
    orders.sort(key=lambda o: (o["created_at"], o["order_id"]))
    return {
        "seeds/addresses.csv": addresses,
        "seeds/users.csv": users,
        "seeds/promos.csv": promos,
        "seeds/products.csv": products,
        "seeds/orders.csv": orders,
        "seeds/order_items.csv": order_items,
        "seeds/events.csv": events,
        "feeds/product_inventory_weekly.csv": inventory_feed,
    }


def to_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=PROJECT_DIR, help="project directory to write into")
    args = parser.parse_args(argv)
    for rel_path, rows in generate().items():
        path = args.out_dir / rel_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(to_csv(rows).encode("utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
