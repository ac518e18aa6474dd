"""pytest plugin for runs under emulation: caps the examples of every Hypothesis test.

EDGESTT_HYPOTHESIS_MAX_EXAMPLES=N (unset: no effect) lowers each @given test's max_examples to
at most N, including tests whose @settings(max_examples=...) ask for more. A Hypothesis
settings profile cannot do that: a value given in @settings wins over the active profile.
Hypothesis reads a test's settings from the wrapped function when the test runs, so the cap is
put there at collection time. Loaded by tools/test_wheels_qemu.sh with `-p hypothesis_cap`.
"""
import os

from hypothesis import settings

ENV = "EDGESTT_HYPOTHESIS_MAX_EXAMPLES"
_capped = []


def pytest_collection_modifyitems(config, items):
    value = os.environ.get(ENV)
    if not value:
        return
    cap = int(value)
    if cap < 1:
        raise ValueError(f"{ENV} must be a positive integer, got {value!r}")
    seen = set()
    for item in items:
        test = getattr(getattr(item, "obj", None), "__func__", getattr(item, "obj", None))
        if not getattr(test, "is_hypothesis_test", False) or id(test) in seen:
            continue
        seen.add(id(test))
        current = getattr(test, "_hypothesis_internal_use_settings", None) or settings.default
        if current.max_examples > cap:
            test._hypothesis_internal_use_settings = settings(current, max_examples=cap)
            _capped.append(f"{item.module.__name__}.{test.__name__} ({current.max_examples})")


def pytest_report_header(config):
    value = os.environ.get(ENV)
    return [f"{ENV}={value}: Hypothesis tests capped at {value} examples"] if value else []


def pytest_terminal_summary(terminalreporter):
    if _capped:
        terminalreporter.write_line(
            f"{ENV}: {len(_capped)} Hypothesis tests capped (examples asked for): " + ", ".join(_capped))
