"""Keep a lease alive while a long operation runs.

`LeaseKeeper` renews the lease from a background thread every `every_s` (a third of the TTL by
default, so two renewals can fail before the lease expires). If a renewal reports `LeaseLost`, it
sets `lost` and stops: the caller must stop acting on the stack (its fenced writes are refused
anyway). A renewal that fails for another reason (the table unreachable) is retried at the next
tick; if that lasts past the expiry, the next renewal reports the lease lost.

    lease = backend.acquire(...)
    try:
        with LeaseKeeper(backend, lease, ttl_s) as keeper:
            ...  # the operation; check keeper.lost between steps, write through fenced_write
    finally:
        backend.release(keeper.lease)
"""

from __future__ import annotations

import threading

from agents.protocol.locks import Lease, LeaseLost, LockBackend, LockError, check_positive


class LeaseKeeper:
    def __init__(
        self, backend: LockBackend, lease: Lease, ttl_s: float, *, every_s: float | None = None
    ) -> None:
        self.backend = backend
        self.ttl_s = check_positive("ttl_s", ttl_s)
        self.every_s = check_positive("every_s", every_s if every_s is not None else ttl_s / 3)
        self.lost = threading.Event()
        self.error: LockError | None = None
        self.renewals = 0
        self._lease = lease
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"lease-keeper-{lease.stack}", daemon=True
        )

    @property
    def lease(self) -> Lease:
        """The latest renewal of the lease (the same token, a later expiry)."""
        return self._lease

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self._lease = self.backend.renew(self._lease, self.ttl_s)
                self.renewals += 1
            except LeaseLost as exc:
                self.error = exc
                self.lost.set()
                return
            except LockError as exc:  # storage trouble: try again at the next tick
                self.error = exc
