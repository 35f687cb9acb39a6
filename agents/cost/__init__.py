"""The cost estimate: monthly AWS cost of a stack export from a dated price file and a usage file.

    from agents.cost import load_prices, load_usage, estimate, diff
    est = estimate(export, load_prices(), load_usage())
    est.total, est.lines, est.not_priced
    diff(base_estimate, new_estimate).delta

`python -m agents cost --help` is the command line.
"""

from agents.cost.diff import CostDiff, LineDelta, diff
from agents.cost.errors import CostError
from agents.cost.estimate import Estimate, Item, Line, estimate
from agents.cost.prices import PriceBook, load_prices
from agents.cost.usage import Usage, load_usage

__all__ = [
    "CostDiff",
    "CostError",
    "Estimate",
    "Item",
    "Line",
    "LineDelta",
    "PriceBook",
    "Usage",
    "diff",
    "estimate",
    "load_prices",
    "load_usage",
]
