"""factory_boy factories that build valid records (valid credit codes and patent numbers)."""

import datetime
from decimal import Decimal

import factory
import factory.random
from stdnum.cn import uscc

from achievements.choices import IPType, TransformationMode, UnitType
from achievements.models import Achievement, Cluster, Transferee, Transformation, Unit
from core.validators import patent_check_character


def make_credit_code(seq: int, region: str = "210100", kind: str = "12") -> str:
    """A valid unified social credit code for a sequence number (final check character from stdnum)."""
    body = kind + region + f"{seq:09d}"[-9:]
    return body + uscc.calc_check_digit(body + "0")


def make_patent_no(seq: int, year: int = 2020, type_digit: str = "1") -> str:
    digits = f"{year:04d}{type_digit}{seq % 10_000_000:07d}"
    return f"{digits}.{patent_check_character(digits)}"


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    code = factory.Sequence(lambda n: make_credit_code(n + 1, "210100", "12"))
    name = factory.Sequence(lambda n: f"测试大学{n}")
    type = UnitType.UNIVERSITY
    region = "210100"


class TransfereeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Transferee

    code = factory.Sequence(lambda n: make_credit_code(500_000 + n, "210200", "91"))
    name = factory.Sequence(lambda n: f"测试科技有限公司{n}")
    region = "210200"


def cluster(code: str = "A01") -> Cluster:
    return Cluster.objects.get(code=code)


class AchievementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Achievement

    unit = factory.SubFactory(UnitFactory)
    ref = factory.Sequence(lambda n: f"CG-{n:05d}")
    title = factory.Sequence(lambda n: f"一种高强度铝合金的制备方法{n}")
    ip_type = IPType.INVENTION_PATENT
    patent_no = factory.Sequence(lambda n: make_patent_no(n + 1))
    trl = 6
    funded = True
    convertible = True
    registered_on = datetime.date(2022, 3, 1)


class TransformationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Transformation

    achievement = factory.SubFactory(AchievementFactory)
    unit = factory.SelfAttribute("achievement.unit")
    ref = factory.Sequence(lambda n: f"HT-{n:05d}")
    mode = TransformationMode.TRANSFER
    transferee = factory.SubFactory(TransfereeFactory)
    signed_on = datetime.date(2023, 6, 1)
    # factory_boy's generator, reseeded for every test from its id (tests/conftest.py): reproducible.
    amount = factory.LazyFunction(
        lambda: Decimal(factory.random.randgen.randint(1, 500)) * Decimal("10000.00")
    )
    received = None
