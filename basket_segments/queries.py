"""What a user asks of a page, as small frozen, typed queries, and the pages' defaults.

Controls hold plain JSON values (a settings dict in a Store, numbers in
inputs); a callback turns them into one query at its first line, checking
every bounded value there, once, with a sentence for the user when it is out
of range (a forged K, rule length or basket never reaches the analytics).
Views and jobs take the query, never the raw values.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from basket_segments.analytics.errors import DataError
from basket_segments.analytics.rule_filters import RuleFilter, SideFilters, box_names
from basket_segments.analytics.stages import ALL_CUSTOMERS, RuleParams

#: How features may be transformed before KMeans, as the Segments page offers it.
SCALING_CHOICES = [
    {"label": "standardised, skewed ones as logarithms", "value": "auto"},
    {"label": "standardised", "value": "standard"},
    {"label": "as they are", "value": "none"},
]
#: The K the slider offers, and where it starts.
MIN_K, MAX_K, DEFAULT_K = 2, 15, 5
#: The Rules page's thresholds until the user changes them (one product on the right).
RULE_DEFAULTS = RuleParams(
    min_support=0.05, min_confidence=0.5, min_lift=1.0, max_length=3, single_consequent=True
)
#: The rule lengths the Rules page offers: longer rules multiply the work beyond any use.
MIN_RULE_LENGTH, MAX_RULE_LENGTH = 2, 6
#: Highest lift the Rules page takes as a threshold.
MAX_LIFT = 100.0
#: The rule limits the Rules page offers (rules kept per group, the strongest); the
#: default is ``RULE_DEFAULTS.max_rules``. A host's ``MAX_RULES`` may lower the ceiling.
MIN_RULE_LIMIT, MAX_RULE_LIMIT = 10, 100_000
#: The names of the Rules page's thresholds in a request, in ``rule_params``' order.
THRESHOLDS = ("support", "confidence", "lift", "length", "limit")
#: What a basket can be on the Rules page.
BASKETS = ("customer", "invoice")


@dataclass(frozen=True)
class SegmentParams:
    """What the user chose on the Segments page."""

    features: tuple[str, ...]
    k: int
    scale: str = "auto"

    def key(self) -> dict:
        """The choice as plain values, for storage keys, with the version of how segments
        are found (``segmentation.SEGMENTS_VERSION``): segments, minings and comparisons
        stored from an older partition are computed anew."""
        from basket_segments.analytics.segmentation import SEGMENTS_VERSION

        return {
            "features": list(self.features),
            "k": self.k,
            "scale": self.scale,
            "version": SEGMENTS_VERSION,
        }


def segment_params(settings: dict | None) -> SegmentParams | None:
    """The stored choice as parameters, or None when nothing usable was chosen; a K
    beyond what the page offers (forged) is a ``DataError``.

    >>> segment_params({"features": ["Age"], "k": 4, "scale": True})
    SegmentParams(features=('Age',), k=4, scale='auto')
    >>> segment_params({"features": [], "k": 4}) is None
    True
    """
    from basket_segments.analytics.segmentation import scaling_mode

    if not isinstance(settings, dict) or not settings.get("features"):
        return None
    features = settings["features"]
    if not isinstance(features, list | tuple) or not all(isinstance(f, str) for f in features):
        raise DataError("That request is damaged; choose the features again.")
    k = _bounded("K", settings.get("k"), DEFAULT_K, MIN_K, MAX_K, whole=True)
    return SegmentParams(tuple(features), int(k), scaling_mode(settings.get("scale")))


def stored_rule_params(rules: Any) -> RuleParams:
    """``rule_params`` from a query's ``rules`` as JSON (``asdict(RuleParams)``), which went
    to the browser and came back: checked as the page's inputs are."""
    return rule_params(
        rules["min_support"],
        rules["min_confidence"],
        rules["min_lift"],
        rules["max_length"],
        rules.get("max_rules"),
    )


def rule_params(support, confidence, lift, length, limit=None) -> RuleParams:
    """Thresholds and rule limit from the Rules page's inputs, checked against what the
    page offers; empty boxes fall back to the defaults, anything else out of range is a
    ``DataError``.

    >>> rule_params(0.1, None, None, 2).min_confidence
    0.5
    >>> rule_params(0.1, 0.5, 1, 3, 50_000).max_rules
    50000
    >>> rule_params(0.1, 0.5, 1, 22)
    Traceback (most recent call last):
    ...
    basket_segments.analytics.errors.DataError: Max rule length must be from 2 to 6, not 22.
    """
    defaults = RULE_DEFAULTS
    return RuleParams(
        _bounded("Min support", support, defaults.min_support, 0.0, 1.0, above_low=True),
        _bounded("Min confidence", confidence, defaults.min_confidence, 0.0, 1.0),
        _bounded("Min lift", lift, defaults.min_lift, 0.0, MAX_LIFT),
        int(
            _bounded(
                "Max rule length",
                length,
                defaults.max_length,
                MIN_RULE_LENGTH,
                MAX_RULE_LENGTH,
                whole=True,
            )
        ),
        single_consequent=defaults.single_consequent,
        max_rules=int(
            _bounded(
                "Rule limit",
                limit,
                defaults.max_rules or MAX_RULE_LIMIT,
                MIN_RULE_LIMIT,
                MAX_RULE_LIMIT,
                whole=True,
            )
        ),
    )


def _bounded(
    label: str,
    value: Any,
    default: float,
    low: float,
    high: float,
    *,
    above_low: bool = False,
    whole: bool = False,
) -> float:
    """``value`` as a number within what the page offers, ``default`` when empty."""
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    too_low = number <= low if above_low else number < low
    if number != number or too_low or number > high or (whole and number != int(number)):
        span = f"above {low:g} and up to {high:g}" if above_low else f"from {low:g} to {high:g}"
        shown = value if isinstance(value, int | float) else f"'{str(value)[:20]}'"
        raise DataError(f"{label} must be {span}, not {shown}.")
    return number


@dataclass(frozen=True)
class RulesQuery:
    """What the Rules page asks of one dataset: its segmentation (None: all customers as
    one group), the thresholds and what a basket is.

    Resolved once per request (``results.rules_query``); the answer carries it
    as JSON, so the views and the downloads read it back (``from_json``) instead
    of resolving it again.
    """

    dataset: int
    segments: SegmentParams | None
    rules: RuleParams
    basket: str = "customer"

    def to_json(self) -> dict:
        """The query as JSON values.

        >>> query = RulesQuery(3, SegmentParams(("Age",), 4), RULE_DEFAULTS)
        >>> RulesQuery.from_json(query.to_json()) == query
        True
        """
        return {
            "dataset": self.dataset,
            "segments": self.segments.key() if self.segments else None,
            "rules": asdict(self.rules),
            "basket": self.basket,
        }

    @classmethod
    def from_json(cls, data: Any) -> RulesQuery:
        """A query back from JSON, checked as the page's inputs are (it went to the
        browser and came back: a forged one is a ``DataError``)."""
        try:
            params = stored_rule_params(data["rules"])
            segments = segment_params(data["segments"]) if data["segments"] else None
            return cls(int(data["dataset"]), segments, params, basket_choice(data["basket"]))
        except (KeyError, TypeError, ValueError) as error:
            raise DataError("That request is damaged; change a setting to ask again.") from error


def basket_choice(value: Any) -> str:
    """What a basket is, of ``BASKETS``; "customer" when not chosen.

    >>> basket_choice(None), basket_choice("invoice")
    ('customer', 'invoice')
    """
    if value in (None, ""):
        return "customer"
    if value not in BASKETS:
        raise DataError(f"A basket is one customer or one invoice, not '{str(value)[:20]}'.")
    return str(value)


#: Most products one product box of the Rules page takes, and the longest name it takes.
MAX_FILTER_PRODUCTS, MAX_PRODUCT_NAME = 50, 500


def side_filters(chosen: Any) -> SideFilters:
    """The Rules page's six product boxes (``{"include_antecedent": [...], ...}``) as
    checked filters: names are texts, trimmed of nothing, at most ``MAX_FILTER_PRODUCTS``
    per box; a box not sent or not a list is empty; too many is a ``DataError``.

    >>> side_filters({"include_antecedent": ["tea", 3], "exclude_either": "jam"})
    SideFilters(include_antecedent=('tea',), exclude_antecedent=(), include_consequent=(), \
exclude_consequent=(), include_either=(), exclude_either=())
    """
    chosen = chosen if isinstance(chosen, dict) else {}
    boxes = {}
    for name in box_names():
        products = [p for p in texts(chosen.get(name)) if p and len(p) <= MAX_PRODUCT_NAME]
        if len(products) > MAX_FILTER_PRODUCTS:
            raise DataError(
                f"A product filter takes at most {MAX_FILTER_PRODUCTS} products, "
                f"not {len(products):,}; remove some."
            )
        boxes[name] = tuple(dict.fromkeys(products))
    return SideFilters(**boxes)


def rule_filter(view: Any, query: RulesQuery) -> RuleFilter:
    """The filters of a Rules view (``RULES_VIEW``'s data: its segment, "Hide redundant
    rules", product boxes and "Significant only") on ``query``'s thresholds, checked:
    what ``analytics.rule_filters.view_rules`` takes. A view from before the product
    boxes (``product``, ``side``) reads as its one product on that side.

    >>> from basket_segments.queries import RULE_DEFAULTS as DEFAULTS
    >>> query = RulesQuery(1, None, DEFAULTS)
    >>> found = rule_filter({"segment": 2, "hide": True, "significant": True}, query)
    >>> found.segment, found.hide_redundant, found.significance
    (2, True, 0.05)
    >>> rule_filter({"product": "tea", "side": "consequent"}, query).sides.include_consequent
    ('tea',)
    """
    from basket_segments.analytics.significance import USUAL_LEVEL

    view = view if isinstance(view, dict) else {}
    segment = whole_number(view.get("segment"))
    sides = view.get("sides")
    product = text_or_none(view.get("product"))
    if sides is None and product:
        side = view.get("side") if view.get("side") in ("antecedent", "consequent") else "either"
        sides = {f"include_{side}": [product]}
    return RuleFilter(
        segment=ALL_CUSTOMERS if segment is None else segment,
        thresholds=query.rules,
        hide_redundant=bool(view.get("hide")),
        sides=side_filters(sides),
        significance=USUAL_LEVEL if view.get("significant") is True else None,
    )


# --- values the browser sends, typed: anything else is as if nothing was sent ---------------


def text_or_none(value: Any) -> str | None:
    """A text input's value; None for anything that is not text.

    >>> text_or_none(" shop "), text_or_none(7), text_or_none(None)
    (' shop ', None, None)
    """
    return value if isinstance(value, str) else None


def choice_or_none(value: Any) -> str | None:
    """A single choice's value (a select's option); None for its "(none)" option, whose
    value is empty, and for anything that is not text.

    >>> choice_or_none("Age"), choice_or_none(""), choice_or_none(None), choice_or_none(3)
    ('Age', None, None, None)
    """
    return value if isinstance(value, str) and value else None


def texts(value: Any) -> list[str]:
    """A multi-choice's values: the texts among them (a forged list may hold anything).

    >>> texts(["Age", 3, None, "Income"]), texts("Age"), texts({"a": 1})
    (['Age', 'Income'], [], [])
    """
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def whole_number(value: Any) -> int | None:
    """A whole number within a database id's range, from an int, an integral float or
    digits; None for anything else (booleans included).

    >>> whole_number(3), whole_number("12"), whole_number(2.0), whole_number(2.5)
    (3, 12, 2, None)
    >>> whole_number(True), whole_number([1]), whole_number(2**63), whole_number("nan")
    (None, None, None, None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, int) and abs(value) < 2**31:
        return value
    return None


# --- the Over time page ------------------------------------------------------------------------

#: How the Over time page cuts the dates: two periods at a split date, or calendar windows.
PERIOD_MODES = ("split", "month", "quarter", "days")
#: The lengths the "runs of N days" choice takes, and where it starts.
MIN_PERIOD_DAYS, MAX_PERIOD_DAYS, DEFAULT_PERIOD_DAYS = 7, 366, 30
#: Most periods one comparison makes (each is segmented and drawn; a week over ten
#: years would be 520 of them).
MAX_PERIODS = 36


@dataclass(frozen=True)
class PeriodChoice:
    """How to cut the dates: ``mode`` of ``PERIOD_MODES``; for ``split`` the date (None:
    the middle of the dates, at a month start), for ``days`` the length of each period;
    ``reference``: the period the segments are fitted on, by position (0: the first)."""

    mode: str = "split"
    split_date: str | None = None
    days: int | None = None
    reference: int = 0

    @property
    def window(self) -> str | None:
        """``analytics.periods.PeriodRule``'s window: None for a split date.

        >>> PeriodChoice("days", days=30).window, PeriodChoice().window
        ('30d', None)
        """
        if self.mode == "split":
            return None
        return f"{self.days}d" if self.mode == "days" else self.mode

    def key(self) -> dict:
        """The choice as plain values, for storage keys and answers."""
        return {
            "mode": self.mode,
            "split_date": self.split_date,
            "days": self.days,
            "reference": self.reference,
        }


def period_choice(
    mode: Any, split: Any = None, days: Any = None, reference: Any = None
) -> PeriodChoice:
    """The Over time page's period controls as a checked choice; a ``DataError`` with a
    sentence for a date that is not one, a length out of range or a mode the page does
    not offer. Only what the mode uses is kept (a split date typed, then months chosen,
    asks for months alone).

    ``reference`` is the page's "Fit the segments on period" box, counted from 1.

    >>> period_choice("split", " 2011-04-01 ")
    PeriodChoice(mode='split', split_date='2011-04-01', days=None, reference=0)
    >>> period_choice("days", "2011-04-01", None).days, period_choice("month", reference=2)
    (30, PeriodChoice(mode='month', split_date=None, days=None, reference=1))
    >>> period_choice("split", "1 April")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    basket_segments.analytics.errors.DataError: The split date must be a date such as ...
    """
    mode = "split" if mode in (None, "") else mode
    if mode not in PERIOD_MODES:
        raise DataError(
            f"Periods are a split date, months, quarters or days, not '{str(mode)[:20]}'."
        )
    number = int(_bounded("The reference period", reference, 1, 1, MAX_PERIODS, whole=True)) - 1
    if mode == "days":
        length = _bounded(
            "Days per period",
            days,
            DEFAULT_PERIOD_DAYS,
            MIN_PERIOD_DAYS,
            MAX_PERIOD_DAYS,
            whole=True,
        )
        return PeriodChoice("days", None, int(length), number)
    if mode != "split":
        return PeriodChoice(str(mode), reference=number)
    return PeriodChoice("split", _iso_date(split), reference=number)


def _iso_date(value: Any) -> str | None:
    """A date written year first, as text (None when the box is empty).

    >>> _iso_date("2011-4-1"), _iso_date(""), _iso_date(None)
    ('2011-04-01', None, None)
    """
    import datetime
    import re

    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    try:
        if not isinstance(value, str) or not re.match(r"^\d{4}-\d{1,2}-\d{1,2}$", text):
            raise ValueError(text)
        year, month, day = (int(part) for part in text.split("-"))
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        raise DataError(
            f"The split date must be a date such as 2011-04-01, not '{text[:20]}'."
        ) from None


@dataclass(frozen=True)
class OverTimeQuery:
    """What the Over time page asks of one dataset: its own segmentation (the Segments
    page's features, K and scaling) and how to cut its dates.

    Resolved once per request (``results.over_time_query``); the answer carries it as
    JSON, read back by the views and the download (``from_json``).
    """

    dataset: int
    segments: SegmentParams
    periods: PeriodChoice

    def key(self) -> dict:
        """What the stored comparison is keyed by (with the dataset's roles)."""
        return {"segments": self.segments.key(), "periods": self.periods.key()}

    def to_json(self) -> dict:
        """The query as JSON values.

        >>> query = OverTimeQuery(3, SegmentParams(("Recency",), 4), PeriodChoice("month"))
        >>> OverTimeQuery.from_json(query.to_json()) == query
        True
        """
        return {"dataset": self.dataset, **self.key()}

    @classmethod
    def from_json(cls, data: Any) -> OverTimeQuery:
        """A query back from JSON, checked as the page's controls are (a forged one is a
        ``DataError``)."""
        try:
            periods = data["periods"]
            choice = period_choice(
                periods["mode"], periods["split_date"], periods["days"], periods["reference"] + 1
            )
            segments = segment_params(data["segments"])
            dataset = whole_number(data["dataset"])
        except (KeyError, TypeError) as error:
            raise DataError("That request is damaged; change a setting to ask again.") from error
        if segments is None or dataset is None:
            raise DataError("That request is damaged; change a setting to ask again.")
        return cls(dataset, segments, choice)


@dataclass(frozen=True)
class PeriodRulesQuery:
    """What the Over time page asks of each period's rules and top products: the
    comparison they are mined in (its segments and periods), and the thresholds and
    basket the Rules page last showed for the dataset (else its defaults).

    Resolved once per request; the answer carries it as JSON (``from_json``).
    """

    comparison: OverTimeQuery
    rules: RuleParams
    basket: str = "customer"

    @property
    def dataset(self) -> int:
        return self.comparison.dataset

    def to_json(self) -> dict:
        """The query as JSON values.

        >>> comparison = OverTimeQuery(3, SegmentParams(("Recency",), 4), PeriodChoice())
        >>> query = PeriodRulesQuery(comparison, RULE_DEFAULTS, "invoice")
        >>> PeriodRulesQuery.from_json(query.to_json()) == query
        True
        """
        return {
            "comparison": self.comparison.to_json(),
            "rules": asdict(self.rules),
            "basket": self.basket,
        }

    @classmethod
    def from_json(cls, data: Any) -> PeriodRulesQuery:
        """A query back from JSON, checked as the pages' controls are (a forged one is a
        ``DataError``)."""
        try:
            params = stored_rule_params(data["rules"])
            comparison = OverTimeQuery.from_json(data["comparison"])
            return cls(comparison, params, basket_choice(data["basket"]))
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise DataError("That request is damaged; change a setting to ask again.") from error
