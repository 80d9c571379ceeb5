"""Cross-check that both contenders found the same rules, segment by segment.

The two runs number segments differently (ours by size, the baseline as
KMeans labels them), so segments are matched by the customers they share,
and rules are compared as sets of (antecedent, consequent) rather than just
counted: equal counts could hide different rules, and a difference should
be shown, not explained away.
"""

from __future__ import annotations

import json

import pandas as pd

from bench.measure import Run

#: At most this many rules found by only one side are listed in the report.
SHOWN_DIFFERENCES = 8


def segment_overlap(ours: Run, baseline: Run) -> pd.DataFrame:
    """Customers per our segment (rows) and baseline label (columns)."""
    mine = pd.read_csv(ours.out / "segments.csv", usecols=["customer", "segment"], dtype=str)
    theirs = pd.read_csv(baseline.out / "segments.csv", dtype=str)
    joined = mine.merge(theirs, on="customer", suffixes=("_ours", "_baseline"))
    return pd.crosstab(joined["segment_ours"].astype(int), joined["segment_baseline"].astype(int))


def rule_sets(run: Run, mapping: dict[int, int] | None = None) -> dict[int, dict]:
    """Rules per segment as {(antecedent, consequent): (support, confidence)}.

    ``mapping`` renumbers the baseline's labels to our segment numbers.
    """
    rules = pd.read_csv(run.out / "rules.csv")
    found: dict[int, dict] = {}
    for row in rules.itertuples(index=False):
        segment = int(row.segment) if mapping is None else mapping[int(row.segment)]
        key = (frozenset(json.loads(row.antecedent)), frozenset(json.loads(row.consequent)))
        found.setdefault(segment, {})[key] = (row.support, row.confidence)
    return found


def rule_comparison(ours: Run, baseline: Run) -> list[str]:
    """Report lines: segment match, per-segment sizes and rule counts, differing rules."""
    if not (ours.ok and baseline.ok):
        return ["rule comparison: not possible, a run has no results"]
    overlap = segment_overlap(ours, baseline)
    mapping = {int(label): int(overlap[label].idxmax()) for label in overlap.columns}
    agreed = int(sum(overlap.at[s, b] for b, s in mapping.items()))
    total = int(overlap.to_numpy().sum())
    one_to_one = len(set(mapping.values())) == len(mapping)
    mine, theirs = rule_sets(ours), rule_sets(baseline, mapping)
    lines = [
        f"segments matched by shared customers: {agreed:,} of {total:,} customers "
        f"({agreed / total:.4%}) are in corresponding segments, {total - agreed:,} are not"
        + ("" if one_to_one else " (NOT one-to-one: several labels map to one segment)"),
        f"{'ours':>6}{'customers':>11}{'rules':>8}  {'baseline':>9}{'customers':>11}{'rules':>8}"
        f"{'same rules':>12}{'only ours':>11}{'only baseline':>15}",
    ]
    differences = []
    for segment in overlap.index:
        labels = [b for b, s in mapping.items() if s == segment]
        a, b = mine.get(segment, {}), theirs.get(segment, {})
        lines.append(
            f"{segment:>6}{overlap.loc[segment].sum():>11,}{len(a):>8,}  "
            f"{'+'.join(map(str, labels)) or '-':>9}{overlap[labels].to_numpy().sum():>11,}"
            f"{len(b):>8,}{'yes' if a.keys() == b.keys() else 'NO':>12}"
            f"{len(a.keys() - b.keys()):>11,}{len(b.keys() - a.keys()):>15,}"
        )
        differences += [("ours", segment, key, a[key]) for key in a.keys() - b.keys()]
        differences += [("baseline", segment, key, b[key]) for key in b.keys() - a.keys()]
    lines += count_summary(ours, baseline, len(mine.get(-1, {})))
    if differences:
        lines.append(f"rules found by one side only ({len(differences):,}; first few):")
        ordered = sorted(
            differences, key=lambda item: (item[1], item[0], sorted(map(sorted, item[2])))
        )
        lines += [_difference_line(*item) for item in ordered[:SHOWN_DIFFERENCES]]
    return lines


def count_summary(ours: Run, baseline: Run, all_customer_rules: int) -> list[str]:
    """Per-segment rule counts compared as multisets, which needs no segment matching."""
    counts = ours.summary["rules_per_segment"]
    ours_counts = sorted(int(counts.get(str(s), 0)) for s in range(ours.summary["k"]))
    base_counts = sorted(baseline.summary["rules_per_segment"].values())
    same = "SAME" if ours_counts == base_counts else "DIFFERENT"
    return [
        f"per-segment rule counts as multisets: ours {ours_counts}, baseline {base_counts}: {same}",
        f"ours also mines all customers together: {all_customer_rules:,} rules "
        "(the baseline has no such group)",
    ]


def _difference_line(side: str, segment: int, key: tuple, measures: tuple) -> str:
    lhs, rhs = (", ".join(sorted(items)) for items in key)
    support, confidence = measures
    return (
        f"  only {side}, segment {segment}: {{{lhs}}} -> {{{rhs}}} "
        f"(support {support:.6f}, confidence {confidence:.6f})"
    )
