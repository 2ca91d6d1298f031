"""Actors of the protection tests beyond the project's (shouwang/conftest.py)."""

import pytest

from shouwang.care.tests.factories import make_person
from shouwang.conftest import VILLAGE

# A child with no concern at all: 0 points on every item of the rubric.
CHILD_OK = {"guardianship": "good", "living": "with_guardian", "safety": "safe",
            "physical": "healthy", "mental": "good", "schooling": "normal",
            "economic": "normal"}  # fmt: skip


@pytest.fixture
def xiaoming(demo_areas):
    """王小明, a boy on file in the village worker's village since 2024."""
    return make_person("王小明", VILLAGE)
