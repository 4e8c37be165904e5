"""Fixtures shared by the reliability tests."""

from tests.correspondence.conftest import on_disk  # noqa: F401 - re-exported fixture
