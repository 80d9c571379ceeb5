"""Say what a rule means in a sentence an analyst can paste into a slide."""

from __future__ import annotations

import re


def join_items(items: tuple[str, ...]) -> str:
    """'bread', 'bread and milk', 'bread, butter and milk'.

    >>> join_items(("bread", "butter", "milk"))
    'bread, butter and milk'
    """
    items = tuple(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def segment_subject(name: str) -> str:
    """Who a segment's rule speaks of, read well whatever the segment is called.

    >>> segment_subject("High income, low spending"), segment_subject("Average customers (2)")
    ('Customers in High income, low spending', 'Average customers (2)')
    """
    base = re.sub(r"\s*\(\d+\)$", "", name)
    return name if base.lower().endswith("customers") else f"Customers in {name}"


def rule_subject(segment_name: str, all_customers: bool) -> str:
    """Who a rule speaks of: customers, or those of a segment.

    >>> rule_subject("Young", False), rule_subject("All customers", True)
    ('Customers in Young', 'Customers')
    """
    return "Customers" if all_customers else segment_subject(segment_name)


def rule_sentence(
    segment_name: str,
    all_customers: bool,
    antecedent: tuple[str, ...],
    consequent: tuple[str, ...],
    confidence: float,
    lift: float,
) -> str:
    """A rule in plain words.

    >>> print(rule_sentence("High income, low spending", False, ("bread", "butter"),
    ...                     ("milk",), 0.62, 1.9))  # doctest: +NORMALIZE_WHITESPACE
    Customers in High income, low spending who buy bread and butter also buy milk
    (62% of the time, 1.9x more than usual).
    """
    who = rule_subject(segment_name, all_customers)
    return worded_rule(who, join_items(antecedent), join_items(consequent), confidence, lift)


#: Who a rule of a basket file speaks of: it has baskets, not customers.
BASKETS_SUBJECT = "Baskets"


def worded_rule(who: str, bought: str, also: str, confidence: float, lift: float) -> str:
    """The sentence from its worded parts, which a table of rules words once each; a
    basket file's rules speak of baskets (``BASKETS_SUBJECT``).

    >>> worded_rule("Customers", "tea", "jam", 0.5, 2.0)
    'Customers who buy tea also buy jam (50% of the time, 2.0x more than usual).'
    >>> worded_rule(BASKETS_SUBJECT, "tea", "jam", 0.5, 2.0)
    'Baskets with tea also hold jam (50% of the time, 2.0x more than usual).'
    """
    measures = f"({confidence:.0%} of the time, {lift:.1f}x more than usual)."
    if who == BASKETS_SUBJECT:
        return f"{who} with {bought} also hold {also} {measures}"
    return f"{who} who buy {bought} also buy {also} {measures}"


def with_evidence(sentence: str, baskets: int, p_adjusted: float, level: float = 0.05) -> str:
    """A rule's sentence with what it rests on: how many baskets, and whether its
    corrected p-value says it is unlikely to be chance (a lift of 3 on 4 baskets reads
    as strong as one on 1,200 without it).

    >>> with_evidence("Customers who buy tea also buy jam (50% of the time, 2.0x more than "
    ...     "usual).", 48, 0.001)  # doctest: +NORMALIZE_WHITESPACE
    'Customers who buy tea also buy jam (50% of the time, 2.0x more than usual, in 48
    baskets; unlikely to be chance).'
    >>> with_evidence("Baskets with tea also hold jam (50% of the time, 2.0x more than "
    ...     "usual).", 1, 0.4)[-37:]
    'usual, in 1 basket; could be chance).'
    """
    if not sentence.endswith(")."):
        return sentence
    chance = "unlikely to be chance" if p_adjusted <= level else "could be chance"
    count = f"{baskets:,} basket{'' if baskets == 1 else 's'}"
    return f"{sentence[:-2]}, in {count}; {chance})."
