"""What the analytics' terms mean, in one line of plain words each.

An analyst meets "support", "lift" or "silhouette" on a page without having
read a textbook: each term gets this one line where it first appears (a help
text under the control, a tooltip on a grid header), and the same line
everywhere, so the pages never explain a term two ways.
"""

from __future__ import annotations

RFM = (
    "Recency, Frequency and Monetary (RFM), when offered, come from the purchases: days "
    "since the customer's last purchase, the number of their baskets, and what they spent."
)
SCALING = (
    "Scaling puts the features on one footing, so none counts more for its unit (income in "
    "thousands against age in years); a skewed figure such as spend is first taken as a "
    "logarithm, so that a few very large values do not decide the segments."
)
LOGARITHM = "as a logarithm (log1p: the logarithm of 1 + the value)"
SILHOUETTE = (
    "The silhouette says how much closer each customer is to its own segment than to the "
    "next one: from -1 (closer to another segment) through 0 (between two) to 1 (well inside "
    "its own)."
)
SUPPORT = "Support: the share of baskets that hold every product of the rule."
CONFIDENCE = (
    "Confidence: of the baskets with the first products, the share that also hold the "
    "recommended one."
)
LIFT = (
    "Lift: how many times more often the products go together than if they were bought "
    "independently (above 1: more than chance)."
)
LIFT_VS_ALL = "Lift in this segment divided by the same rule's lift over all customers."
BASKETS_COUNT = "The number of baskets that hold every product of the rule."
P_ADJUSTED = (
    "Chance (p): how likely a rule this strong would be if the products were bought "
    "independently (Fisher's exact test), corrected for the number of rules tested in the "
    "segment (Holm); below 0.05 the rule is unlikely to be chance."
)
ZHANG = (
    "Zhang's metric, from -1 to 1: above 0 the products are bought together, below 0 one "
    "is bought instead of the other."
)
JACCARD = "Jaccard, from 0 to 1: of the baskets with either side, the share with both."
KULCZYNSKI = (
    "Kulczynski, from 0 to 1: the mean of the rule's confidence both ways round, how "
    "strongly the two sides go together whichever comes first."
)
CERTAINTY = (
    "Certainty, from -1 to 1: how far the first products move the chance of the "
    "recommended one from its usual share towards certain (0: not at all)."
)
