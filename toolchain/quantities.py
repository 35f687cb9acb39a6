"""Kubernetes resource quantities (`500m`, `2`, `128Mi`, `1.5Gi`), read as the API server reads
them: the stack config's tenant quotas, the tenants component, the packs and the example
application's test all compare quantities through this one reader."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
_SUFFIX = {
    None: Decimal(1),
    "m": Decimal("0.001"),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "P": Decimal(10**15),
    "E": Decimal(10**18),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}


class QuantityError(ValueError):
    """A value is not a Kubernetes quantity; the message names what was being read."""


def parse_quantity(value: Any, what: str = "quantity") -> Decimal:
    """A quantity as a number of base units (cores, bytes). Numbers are taken as they are;
    exponent forms (`1e3`) and negative values are refused: nobody writes them in a quota."""
    if isinstance(value, bool):
        raise QuantityError(f"{what}: {value!r} is not a Kubernetes quantity")
    if isinstance(value, int | float):
        if value < 0:
            raise QuantityError(f"{what}: {value!r} is negative")
        return Decimal(str(value))
    match = _QUANTITY.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise QuantityError(
            f"{what}: {value!r} is not a Kubernetes quantity such as 500m, 2 or 128Mi"
        )
    return Decimal(match.group(1)) * _SUFFIX[match.group(2)]
