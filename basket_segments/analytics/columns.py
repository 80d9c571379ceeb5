"""Detect what each column of a user's table means from its name.

Users' files name the same thing many ways (``CustomerID``, ``customer_id``,
``Member_number``); we compare names after dropping case, spaces, punctuation
and units in brackets, so ``Annual Income (k$)`` and ``annual_income`` match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import pandas as pd

from basket_segments.analytics.errors import DataError

#: Roles a column can play, with the normalised names that signal them.
ROLE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "customer": (
        "customerid",
        "customer",
        "custid",
        "customerno",
        "customernumber",
        "customercode",
        "clientid",
        "client",
        "memberid",
        "membernumber",
        "member",
        "memberno",
        "userid",
        "user",
        "shopperid",
        "accountid",
        "id",
    ),
    "product": (
        "product",
        "productname",
        "item",
        "itemname",
        "itemdescription",
        "description",
        "productdescription",
        "article",
        "articlename",
        "goods",
    ),
    "basket": (
        "invoiceno",
        "invoice",
        "invoiceid",
        "invoicenumber",
        "transactionid",
        "transaction",
        "transactionno",
        "orderid",
        "order",
        "orderno",
        "ordernumber",
        "receipt",
        "receiptid",
        "basket",
        "basketid",
        "billno",
        "ticketid",
    ),
    "date": (
        "date",
        "invoicedate",
        "orderdate",
        "transactiondate",
        "purchasedate",
        "datetime",
        "timestamp",
        "time",
    ),
    "quantity": ("quantity", "qty", "units", "count", "itemcount"),
    "price": ("unitprice", "price", "itemprice", "priceeach", "unitcost"),
    "stock_code": ("stockcode", "productcode", "itemcode", "sku", "productid", "itemid"),
}

#: Customer attributes with a known meaning, used to name segments in words.
FEATURE_KINDS: dict[str, tuple[str, ...]] = {
    "age": ("age", "ageyears"),
    "income": ("annualincome", "income", "yearlyincome", "salary"),
    "spending": ("spendingscore", "spending", "score", "spend"),
}

#: Stock codes that are charges or adjustments, not products (UCI Online Retail and alike).
NON_PRODUCT_CODES = frozenset(
    {"POST", "DOT", "D", "M", "C2", "S", "B", "AMAZONFEE", "BANK CHARGES", "CRUK", "PADS", "ADJUST"}
)


#: An integer attribute with at most this many distinct values is a code (a channel, a
#: region, a store), not an amount, when each value is shared by several customers.
MAX_CODE_LEVELS = 12
#: Customers per value a code has at least (a tiny table's ages are few, but each unique).
CODE_SHARE = 4
#: Names that mark a column as an identifier or code rather than an amount.
_CODE_NAME = re.compile(
    r"(?:^|[\s_.\-])(id|code|no|number|zip|zipcode|postcode|postal ?code|plz|phone)$",
    re.IGNORECASE,
)
_CAMEL_CODE_NAME = re.compile(r"[a-z](ID|Id|Code|No|Zip)$")


def is_category(name: object, numbers: pd.Series) -> bool:
    """Whether a numeric attribute is a category (a code, an identifier, a postcode) that
    KMeans should not measure distances on.

    >>> is_category("Channel", pd.Series([1, 2, 1, 1, 2, 2, 1, 1, 2, 1.0]))
    True
    >>> is_category("Age", pd.Series([20, 31, 44, 25, 58, 37.0]))
    False
    >>> is_category("Store code", pd.Series([103, 2211, 87.0]))
    True
    """
    values = numbers.dropna()
    if values.empty:
        return has_code_name(name)
    whole = bool((values == values.round()).all())
    return looks_like_codes(name, len(values), values.nunique(), values.min(), values.max(), whole)


def has_code_name(name: object) -> bool:
    """Whether the name marks an identifier or code ("Store code", "ZIP", "RegionID")."""
    text = str(name).strip()
    return bool(_CODE_NAME.search(text) or _CAMEL_CODE_NAME.search(text))


def looks_like_codes(
    name: object, count: int, distinct: int, lowest: float, highest: float, whole: bool
) -> bool:
    """``is_category`` from a column's summary (its values present, distinct values,
    range, and whether all are whole), so an engine can judge without the values."""
    if has_code_name(name):
        return True
    if feature_kind(name) or count == 0 or not whole:
        return False  # an age, an income, a score: an amount, however few its values
    if distinct == 1:
        return False  # one value for all: no code either (segmenting on it says why)
    if distinct == count >= 20 and highest - lowest + 1 == distinct:
        return True  # 1, 2, 3 ... for every customer: a row number
    return distinct <= MAX_CODE_LEVELS and count >= CODE_SHARE * distinct


def normalise_name(name: object) -> str:
    """Reduce a column name to lowercase letters and digits, without units in brackets.

    >>> normalise_name("Annual Income (k$)")
    'annualincome'
    >>> normalise_name(" Customer_ID ")
    'customerid'
    """
    text = re.sub(r"[(\[{].*?[)\]}]", "", str(name))
    return re.sub(r"[^0-9a-z]", "", text.lower())


def detect_roles(columns: Iterable[object]) -> dict[str, str]:
    """Map each role to the first column whose name signals it.

    A column serves at most one role; roles are tried in the order of
    ``ROLE_SYNONYMS`` so that ``CustomerID`` is the customer, not a product id.

    >>> detect_roles(["Member_number", "Date", "itemDescription"])
    {'customer': 'Member_number', 'product': 'itemDescription', 'date': 'Date'}
    """
    names = {column: normalise_name(column) for column in columns}
    roles: dict[str, str] = {}
    taken: set[object] = set()
    for role, synonyms in ROLE_SYNONYMS.items():
        for synonym in synonyms:
            match = next((c for c, n in names.items() if n == synonym and c not in taken), None)
            if match is not None:
                roles[role] = str(match)
                taken.add(match)
                break
    return roles


def feature_kind(column: object) -> str | None:
    """The known meaning of a customer attribute (age, income, spending), if any.

    >>> feature_kind("Spending Score (1-100)")
    'spending'
    >>> feature_kind("Recency") is None
    True
    """
    name = normalise_name(column)
    return next((kind for kind, names in FEATURE_KINDS.items() if name in names), None)


def apply_mapping(
    detected: Mapping[str, str], mapping: Mapping[str, str | None] | None, columns: Iterable[object]
) -> dict[str, str]:
    """Overlay the user's explicit role mapping on the detected one.

    A role mapped to ``None`` is removed; a mapped column must exist.

    >>> apply_mapping({"customer": "id"}, {"product": "Item"}, ["id", "Item"])
    {'customer': 'id', 'product': 'Item'}
    """
    roles = dict(detected)
    available = [str(c) for c in columns]
    for role, column in (mapping or {}).items():
        if role not in ROLE_SYNONYMS:
            raise DataError(
                f"Unknown column role '{role}'; the roles are {', '.join(ROLE_SYNONYMS)}."
            )
        if column is None:
            roles.pop(role, None)
            continue
        if column not in available:
            raise DataError(
                f"The column '{column}' chosen as {role} is not in the file; "
                f"its columns are {', '.join(available)}."
            )
        roles = {r: c for r, c in roles.items() if c != column}
        roles[role] = column
    return roles
