"""The test factories draw their random values from factory_boy's generator, reseeded for each test
from the test's id (``_seeded_factories`` in conftest.py)."""

import random

import factory.random

from .factories import TransformationFactory


def _amounts(seed):
    factory.random.reseed_random(seed)
    return [TransformationFactory.build().amount for _ in range(5)]


def test_each_test_starts_from_its_own_seed(request):
    assert factory.random.randgen.getstate() == random.Random(request.node.nodeid).getstate()


def test_the_same_seed_gives_the_same_values_and_another_seed_others():
    assert _amounts("a") == _amounts("a")
    assert _amounts("a") != _amounts("b")
