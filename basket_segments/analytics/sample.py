"""Generate a realistic sample dataset in the combined format, deterministically.

New users need data to try the app on, and the benchmark needs data of any
size. Customers come from five personas with their own age, income and
spending score, their own favourite products, and bundles they tend to buy
together, so segmentation finds real groups and each group has its own rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SAMPLE_COLUMNS = ["CustomerID", "Age", "Annual Income", "Spending Score", "Product"]

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
    ),
    Persona(
        "retirees",
        0.2,
        (68, 5),
        (42, 7),
        (35, 8),
        ("tea", "biscuits", "bread", "butter", "jam", "oatmeal", "newspaper", "honey", "cat food"),
        (("tea", "biscuits"), ("bread", "butter", "jam"), ("oatmeal", "honey")),
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
    ),
)
#: How much more likely a persona is to buy one of its favourites.
FAVOURITE_BOOST = 8.0
#: Chance that a customer buys each of their persona's bundles.
BUNDLE_PROBABILITY = 0.35


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
) -> pd.DataFrame:
    """Combined data: one row per customer and product, attributes repeated.

    >>> sample = generate_sample(50, seed=1)
    >>> list(sample.columns) == SAMPLE_COLUMNS, sample["CustomerID"].nunique()
    (True, 50)
    """
    rng = np.random.default_rng(seed)
    catalogue = product_catalogue(n_products)
    persona = rng.choice(len(PERSONAS), size=n_customers, p=_weights())
    attributes = _attributes(rng, persona)
    customer, product = _purchases(rng, persona, catalogue, mean_items)
    pairs = np.unique(customer.astype(np.int64) * len(catalogue) + product)
    customer, product = np.divmod(pairs, len(catalogue))
    ids = np.char.add("C", np.char.zfill(np.arange(1, n_customers + 1).astype(str), 6))
    return pd.DataFrame(
        {
            "CustomerID": ids[customer],
            "Age": attributes[0][customer],
            "Annual Income": attributes[1][customer],
            "Spending Score": attributes[2][customer],
            "Product": np.asarray(catalogue, dtype=object)[product],
        }
    )


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
