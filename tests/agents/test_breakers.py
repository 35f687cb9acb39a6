"""Circuit breakers stop retry storms, and remember that across processes."""

import pybreaker
import pytest

from agents.breakers import FileBreakerStorage, breaker, breaker_states


def fail():
    raise RuntimeError("pulumi up failed")


def test_the_breaker_opens_after_repeated_failures_and_survives_a_restart(tmp_path):
    for _ in range(2):
        with pytest.raises(RuntimeError):
            breaker(tmp_path, "prod", "up", fail_max=3, reset_s=600).call(fail)
    with pytest.raises(pybreaker.CircuitBreakerError):
        breaker(tmp_path, "prod", "up", fail_max=3, reset_s=600).call(fail)
    # a new process (a new breaker object on the same files) refuses without calling
    calls = []
    with pytest.raises(pybreaker.CircuitBreakerError):
        breaker(tmp_path, "prod", "up", fail_max=3, reset_s=600).call(lambda: calls.append(1))
    assert calls == []
    (state,) = breaker_states(tmp_path)
    assert (state["stack"], state["operation"], state["state"]) == ("prod", "up", "open")


def test_breakers_are_per_stack_and_operation(tmp_path):
    for _ in range(3):
        with pytest.raises((RuntimeError, pybreaker.CircuitBreakerError)):
            breaker(tmp_path, "prod", "up", fail_max=3, reset_s=600).call(fail)
    assert breaker(tmp_path, "prod", "refresh", fail_max=3, reset_s=600).call(lambda: 1) == 1
    assert breaker(tmp_path, "dev", "up", fail_max=3, reset_s=600).call(lambda: 2) == 2


def test_a_success_after_the_reset_timeout_closes_it(tmp_path):
    for _ in range(3):
        with pytest.raises((RuntimeError, pybreaker.CircuitBreakerError)):
            breaker(tmp_path, "dev", "up", fail_max=3, reset_s=600).call(fail)
    storage = FileBreakerStorage(tmp_path / "breakers" / "dev.up.json")
    opened = storage.opened_at
    assert opened is not None
    storage.opened_at = opened.replace(year=2000)  # long ago: past any timeout
    assert breaker(tmp_path, "dev", "up", fail_max=3, reset_s=600).call(lambda: "ok") == "ok"
    assert breaker(tmp_path, "dev", "up", fail_max=3, reset_s=600).current_state == "closed"
