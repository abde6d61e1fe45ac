"""For every test: the API checks its own answers against its OpenAPI description
(ccengine/api/openapi/validate.py), so a test that gets an answer the description does
not allow fails with a 500 naming the difference."""

import os

os.environ["CCENGINE_CHECK_RESPONSES"] = "1"


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    """Print what the API fuzzing ran (tests/e2e/test_api_description.py), also under xdist
    (a test's recorded properties travel with its report)."""
    lines = [value for reports in terminalreporter.stats.values() for report in reports
             for key, value in getattr(report, "user_properties", ())
             if key == "api_fuzz" and getattr(report, "when", "") == "call"]
    if lines:
        terminalreporter.write_sep("-", "API fuzzing")
        for line in sorted(set(lines)):
            terminalreporter.write_line(line)
