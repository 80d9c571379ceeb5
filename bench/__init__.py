"""Benchmark of the analysis pipeline against the original crosstab + mlxtend design."""
