"""Who a rule covers: the baskets holding both its sides, and the customers they belong to.

A rule's support count is the number of its group's baskets that hold every product
of its antecedent and its consequent. This finds those baskets again from the
purchases, as ``analytics.baskets.build_baskets`` cuts them (a customer's purchases,
one invoice, or a basket file's basket), so the count always equals the rule's:
Orange's association rules pass on these rows, and arulesViz lists them for a
selection; here they make a rule a list of customers to reach.

Only the purchase lines of the rule's products are looked at (one ``isin`` over
the product column), then counted per basket: a basket holds the rule when it
holds as many distinct of those products as the rule names. No basket of other
products is built, so a rule of a large segment answers in milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from basket_segments.analytics.baskets import BASKET_CHOICES

if TYPE_CHECKING:
    import pandas as pd


def covering_baskets(
    purchases: pd.DataFrame,
    items: Sequence[str],
    by: str = "customer",
    customers: pd.Index | None = None,
) -> pd.DataFrame:
    """The baskets that hold every product of ``items``, one row each with its
    ``customer`` and ``basket`` (the invoice; missing where a basket is all of a
    customer's purchases), in key order. ``by`` is what a basket is (``BASKET_CHOICES``;
    a basket file's baskets have no customer whatever it says); ``customers`` keeps
    the baskets of those customers only (one segment's), None all of them.

    >>> import pandas as pd
    >>> purchases = pd.DataFrame({"customer": ["a", "a", "a", "b", "b"],
    ...     "basket": ["1", "1", "2", "3", "4"],
    ...     "product": ["tea", "jam", "tea", "tea", "jam"]})
    >>> covering_baskets(purchases, ["tea", "jam"])["customer"].tolist()
    ['a', 'b']
    >>> invoices = covering_baskets(purchases, ["tea", "jam"], by="invoice")
    >>> invoices.values.tolist()
    [['a', '1']]
    """
    import pandas as pd

    if by not in BASKET_CHOICES:
        raise ValueError(f"by must be one of {BASKET_CHOICES}, not {by!r}")
    wanted = list(dict.fromkeys(str(item) for item in items))
    if not wanted:
        raise ValueError("items must name at least one product")
    anonymous = bool(purchases["customer"].isna().all())
    keys = ["basket"] if anonymous else ["customer", "basket"] if by == "invoice" else ["customer"]
    rows = purchases.loc[purchases["product"].isin(wanted), ["customer", "basket", "product"]]
    rows = rows.dropna(subset=[*keys, "product"])
    if customers is not None and not anonymous:
        rows = rows[rows["customer"].isin(customers)]
    held = rows.drop_duplicates([*keys, "product"]).groupby(keys, sort=True).size()
    found = held[held.to_numpy() == len(wanted)].index.to_frame(index=False)
    columns = {"customer": pd.NA, "basket": pd.NA}
    return found.reindex(columns=list(columns)).astype("string")


def covered_customers(baskets: pd.DataFrame) -> pd.DataFrame:
    """The customers of ``covering_baskets``, each with how many of them are theirs (one
    per customer when a basket is a customer's purchases), in customer order.

    >>> import pandas as pd
    >>> baskets = pd.DataFrame({"customer": ["a", "a", "b"], "basket": ["1", "2", "3"]})
    >>> covered_customers(baskets).values.tolist()
    [['a', 2], ['b', 1]]
    """
    customers = baskets["customer"].dropna()
    counts = customers.value_counts(sort=False).sort_index()
    return counts.rename_axis("customer").rename("baskets").reset_index()
