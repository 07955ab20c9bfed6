"""Shared fixtures live in tests/fixtures/ (one module per area)."""

pytest_plugins = [
    "tests.fixtures.world",
    "tests.fixtures.emulators",
    "tests.fixtures.postgres",
]
