"""The cost estimate: monthly AWS cost of a stack export from a dated price file and a usage file.

    from toolchain.cost import load_prices, load_usage, estimate, diff
    est = estimate(export, load_prices(), load_usage())
    est.total, est.lines, est.not_priced
    diff(base_estimate, new_estimate).delta

`python -m agents cost --help` is the command line.
"""

from toolchain.cost.diff import CostDiff, LineDelta, diff
from toolchain.cost.errors import CostError
from toolchain.cost.estimate import Estimate, Item, Line, estimate
from toolchain.cost.prices import PriceBook, load_prices
from toolchain.cost.usage import Usage, load_usage

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
