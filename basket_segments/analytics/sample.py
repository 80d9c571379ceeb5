"""Generate a realistic sample dataset in the combined format, deterministically.

New users need data to try the app on, and the benchmark needs data of any
size. Customers come from five personas with their own age, income and
spending score, their own favourite products, and bundles they tend to buy
together, so segmentation finds real groups and each group has its own rules.

Every purchase has a date within one year and a price, so the sample has
recency, frequency and spend too, and the Over time page has something to
show: most customers shop all year at their persona's pace, some start late
(new in a later period), some stop early (no purchase later), and some shop
much less or much more in the second half (they move between segments).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SAMPLE_COLUMNS = [
    "CustomerID",
    "Age",
    "Annual Income",
    "Spending Score",
    "Date",
    "Product",
    "Price",
]

#: Real grocery product names; catalogues larger than this get numbered variants.
PRODUCTS = (
    "whole milk",
    "bread",
    "butter",
    "eggs",
    "yogurt",
    "cheese",
    "cream cheese",
    "coffee",
    "tea",
    "sugar",
    "flour",
    "rice",
    "pasta",
    "tomato sauce",
    "canned beans",
    "potatoes",
    "onions",
    "carrots",
    "tomatoes",
    "lettuce",
    "apples",
    "bananas",
    "oranges",
    "grapes",
    "lemons",
    "chicken",
    "beef",
    "pork",
    "sausages",
    "salmon",
    "tuna",
    "ham",
    "bacon",
    "cereal",
    "oatmeal",
    "jam",
    "honey",
    "biscuits",
    "chocolate",
    "chips",
    "popcorn",
    "frozen pizza",
    "instant noodles",
    "ice cream",
    "soda",
    "energy drink",
    "beer",
    "red wine",
    "white wine",
    "sparkling water",
    "orange juice",
    "olive oil",
    "crackers",
    "espresso beans",
    "avocados",
    "berries",
    "nuts",
    "diapers",
    "baby wipes",
    "baby food",
    "fish sticks",
    "toilet paper",
    "detergent",
    "dish soap",
    "shampoo",
    "toothpaste",
    "cat food",
    "dog food",
    "flowers",
    "newspaper",
)


@dataclass(frozen=True)
class Persona:
    """A kind of customer: attribute means and spreads, favourites and bundles."""

    name: str
    weight: float
    age: tuple[float, float]
    income: tuple[float, float]
    spending: tuple[float, float]
    favourites: tuple[str, ...]
    bundles: tuple[tuple[str, ...], ...]
    #: Shopping trips a year of a customer who shops all year.
    visits: float


PERSONAS = (
    Persona(
        "young families",
        0.25,
        (33, 4),
        (58, 8),
        (62, 8),
        (
            "diapers",
            "baby wipes",
            "baby food",
            "cereal",
            "whole milk",
            "fish sticks",
            "bananas",
            "yogurt",
            "apples",
        ),
        (("diapers", "baby wipes"), ("cereal", "whole milk"), ("fish sticks", "potatoes")),
        8,
    ),
    Persona(
        "students",
        0.18,
        (21, 2),
        (18, 5),
        (75, 9),
        (
            "instant noodles",
            "energy drink",
            "frozen pizza",
            "beer",
            "chips",
            "soda",
            "popcorn",
            "pasta",
        ),
        (("frozen pizza", "beer"), ("instant noodles", "energy drink"), ("chips", "soda")),
        4,
    ),
    Persona(
        "affluent professionals",
        0.15,
        (42, 5),
        (112, 12),
        (82, 7),
        (
            "red wine",
            "white wine",
            "cheese",
            "crackers",
            "olive oil",
            "salmon",
            "espresso beans",
            "avocados",
            "berries",
            "flowers",
        ),
        (
            ("red wine", "cheese", "crackers"),
            ("salmon", "lemons"),
            ("espresso beans", "cream cheese"),
        ),
        6,
    ),
    Persona(
        "retirees",
        0.2,
        (68, 5),
        (42, 7),
        (35, 8),
        ("tea", "biscuits", "bread", "butter", "jam", "oatmeal", "newspaper", "honey", "cat food"),
        (("tea", "biscuits"), ("bread", "butter", "jam"), ("oatmeal", "honey")),
        10,
    ),
    Persona(
        "budget shoppers",
        0.22,
        (46, 9),
        (33, 7),
        (18, 6),
        (
            "rice",
            "pasta",
            "canned beans",
            "eggs",
            "potatoes",
            "onions",
            "flour",
            "tomato sauce",
            "toilet paper",
        ),
        (("pasta", "tomato sauce"), ("rice", "canned beans"), ("eggs", "flour", "sugar")),
        3,
    ),
)
#: How much more likely a persona is to buy one of its favourites.
FAVOURITE_BOOST = 8.0
#: Chance that a customer buys each of their persona's bundles.
BUNDLE_PROBABILITY = 0.35
#: The sample's purchases run over one calendar year from this day.
FIRST_DAY = pd.Timestamp("2025-01-01")
YEAR = 365
#: Shares of customers who start late, stop early, and change pace at mid-year.
JOINING, LEAVING, DRIFTING = 0.12, 0.12, 0.2
#: A drifting customer's pace in the second half of the year, against the first.
DRIFT_PACE = (0.15, 5.0)
#: Products a customer buys again on each trip, on average (besides their new ones).
AGAIN = 1.0


def product_catalogue(n_products: int | None = None) -> list[str]:
    """``n_products`` names: the real ones, then numbered variants ("bread 2").

    >>> product_catalogue(3), product_catalogue(len(PRODUCTS) + 1)[-1]
    (['whole milk', 'bread', 'butter'], 'whole milk 2')
    """
    n = n_products or len(PRODUCTS)
    names = list(PRODUCTS[:n])
    variant = 2
    while len(names) < n:
        names += [f"{p} {variant}" for p in PRODUCTS[: n - len(names)]]
        variant += 1
    return names


def generate_sample(
    n_customers: int = 3000,
    n_products: int | None = None,
    mean_items: float = 9.0,
    seed: int = 7,
    dated: bool = True,
) -> pd.DataFrame:
    """Combined data: a row per purchase of a product, with its date and price, the
    customer's attributes repeated.

    ``dated=False``: one row per customer and product, without dates or prices, as the
    benchmark's files have always been (the same customers and products; its figures
    compare across sessions, and the original design it races segments on the
    attributes only).

    >>> sample = generate_sample(50, seed=1)
    >>> list(sample.columns) == SAMPLE_COLUMNS, sample["CustomerID"].nunique()
    (True, 50)
    >>> undated = generate_sample(50, seed=1, dated=False)
    >>> [c for c in SAMPLE_COLUMNS if c not in undated], bool(undated.duplicated().any())
    (['Date', 'Price'], False)
    """
    rng = np.random.default_rng(seed)
    catalogue = product_catalogue(n_products)
    persona = rng.choice(len(PERSONAS), size=n_customers, p=_weights())
    attributes = _attributes(rng, persona)
    customer, product = _purchases(rng, persona, catalogue, mean_items)
    pairs = np.unique(customer.astype(np.int64) * len(catalogue) + product)
    customer, product = np.divmod(pairs, len(catalogue))
    if dated:
        customer, product, days = _dated(rng, persona, customer, product)  # drawn last
    ids = np.char.add("C", np.char.zfill(np.arange(1, n_customers + 1).astype(str), 6))
    columns = {
        "CustomerID": ids[customer],
        "Age": attributes[0][customer],
        "Annual Income": attributes[1][customer],
        "Spending Score": attributes[2][customer],
    }
    if dated:
        columns["Date"] = (FIRST_DAY + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d")
    columns["Product"] = np.asarray(catalogue, dtype=object)[product]
    if dated:
        columns["Price"] = product_prices(len(catalogue))[product]
    return pd.DataFrame(columns)


def product_prices(n_products: int) -> np.ndarray:
    """A fixed price list (0.50 to about 15), the same for every sample of a catalogue size.

    >>> prices = product_prices(70)
    >>> bool((prices >= 0.5).all()), bool((product_prices(70) == prices).all())
    (True, True)
    """
    rng = np.random.default_rng(n_products)
    return np.round(np.clip(rng.lognormal(1.0, 0.6, n_products), 0.5, None), 2)


def _dated(
    rng: np.random.Generator, persona: np.ndarray, customer: np.ndarray, product: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every purchase row, in customer, day and product order, with its day of the year.

    Each customer shops on a few trips (their persona's trips a year over the part of the
    year they shop in, at their pace) and buys each of their products on one of them; on
    each trip they buy about ``AGAIN`` of their products again. So a customer's products
    (and the rules) are as without dates, while spend and frequency follow the trips.
    ``customer`` must be sorted (``np.unique`` made it so).
    """
    n = len(persona)
    start, end, pace = _lives(rng, n)
    middle = np.clip(YEAR / 2, start, end)
    visits = np.array([p.visits for p in PERSONAS])[persona]
    visits = visits * rng.lognormal(0.0, 0.3, n)  # each customer's own pace, all year
    weighted = (middle - start) + pace * (end - middle)
    trips = np.maximum(1, np.rint(visits * weighted / YEAR)).astype(np.int64)
    who = np.repeat(np.arange(n), trips)
    first_trip = np.cumsum(trips) - trips
    share = (np.arange(len(who)) - first_trip[who] + rng.random(len(who))) / trips[who]
    day = _days_in_life(share * weighted[who], start[who], middle[who], pace[who])
    on_trip = first_trip[customer] + (rng.random(len(customer)) * trips[customer]).astype(int)
    first_row = np.searchsorted(customer, np.arange(n))
    owned = np.diff(np.append(first_row, len(customer)))
    again = np.repeat(np.arange(len(who)), rng.poisson(AGAIN, len(who)))
    row = first_row[who[again]] + (rng.random(len(again)) * owned[who[again]]).astype(int)
    key = np.concatenate([customer, customer[row]]).astype(np.int64) * YEAR
    key = (key + np.concatenate([day[on_trip], day[again]])) * (product.max() + 1)
    rows = np.unique(key + np.concatenate([product, product[row]]))
    rest, product = np.divmod(rows, product.max() + 1)
    customer, day = np.divmod(rest, YEAR)
    return customer, product, day


def _lives(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each customer's first and last day (the day after) and their pace in the second
    half of the year against the first: 1 for most, ``DRIFT_PACE`` for the drifting."""
    kind = rng.random(n)
    start, end = np.zeros(n), np.full(n, float(YEAR))
    joining = kind < JOINING
    leaving = (kind >= JOINING) & (kind < JOINING + LEAVING)
    drifting = (kind >= JOINING + LEAVING) & (kind < JOINING + LEAVING + DRIFTING)
    start[joining] = rng.uniform(0.3, 0.8, joining.sum()) * YEAR
    end[leaving] = rng.uniform(0.2, 0.45, leaving.sum()) * YEAR
    pace = np.where(drifting, rng.choice(DRIFT_PACE, n), 1.0)
    return start, end, pace


def _days_in_life(
    weight: np.ndarray, start: np.ndarray, middle: np.ndarray, pace: np.ndarray
) -> np.ndarray:
    """The day at ``weight`` along a customer's time from ``start``, a day after
    ``middle`` (mid-year, or their end) weighing ``pace`` times one before it: trips
    spread evenly over that weighted time come ``pace`` times as often after mid-year.

    >>> _days_in_life(np.array([10.0, 200.0]), np.zeros(2), np.full(2, 182.5), np.full(2, 2.0))
    array([ 10, 191])
    """
    before = middle - start
    day = np.where(weight < before, start + weight, middle + (weight - before) / pace)
    return np.floor(day).astype(np.int64)


def _weights() -> np.ndarray:
    weights = np.array([p.weight for p in PERSONAS])
    return weights / weights.sum()


def _attributes(rng: np.random.Generator, persona: np.ndarray) -> list[np.ndarray]:
    """Age (18..90), income in k$ (10..200) and spending score (1..100) per customer."""
    columns = []
    for field, low, high in (("age", 18, 90), ("income", 10, 200), ("spending", 1, 100)):
        means = np.array([getattr(p, field)[0] for p in PERSONAS])[persona]
        spreads = np.array([getattr(p, field)[1] for p in PERSONAS])[persona]
        columns.append(np.clip(np.rint(rng.normal(means, spreads)), low, high).astype(int))
    return columns


def _purchases(
    rng: np.random.Generator, persona: np.ndarray, catalogue: list[str], mean_items: float
) -> tuple[np.ndarray, np.ndarray]:
    """Customer and product numbers of every purchase, favourites and bundles included."""
    index = {name: i for i, name in enumerate(catalogue)}
    popularity = 1.0 / (np.arange(len(catalogue)) % len(PRODUCTS) + 3.0) ** 0.7
    counts = 1 + rng.poisson(max(mean_items - 1, 0), size=len(persona))
    customers, products = [], []
    for number, person in enumerate(PERSONAS):
        members = np.flatnonzero(persona == number)
        favourite = np.array([_base(name) in person.favourites for name in catalogue])
        weights = popularity * np.where(favourite, FAVOURITE_BOOST, 1.0)
        total = int(counts[members].sum())
        customers.append(np.repeat(members, counts[members]))
        products.append(rng.choice(len(catalogue), size=total, p=weights / weights.sum()))
        for bundle in person.bundles:
            items = [index[item] for item in bundle if item in index]
            buyers = members[rng.random(len(members)) < BUNDLE_PROBABILITY]
            customers.append(np.repeat(buyers, len(items)))
            products.append(np.tile(items, len(buyers)).astype(np.int64))
    return np.concatenate(customers), np.concatenate(products)


def _base(name: str) -> str:
    """The real product a numbered variant belongs to ("bread 2" -> "bread")."""
    head, _, tail = name.rpartition(" ")
    return head if tail.isdigit() and head in PRODUCTS else name
