from haucan.reporting.tests.conftest import fuel_form  # noqa: F401  (shared fixture)
