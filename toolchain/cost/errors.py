"""The cost estimate's one error type."""

from __future__ import annotations

from toolchain import InputError


class CostError(InputError):
    """A price file, usage file or export the estimate cannot use; the message says which and
    why."""
