"""The registry endpoints: each class is data for the generic tests in ``core.api.testing``."""

import datetime

import pytest

from achievements.models import Transferee
from core.api.testing import (
    RegistryAPITests,
    fast_password_hashing,  # noqa: F401  (autouse fixture)
)

from .factories import (
    AchievementFactory,
    TransfereeFactory,
    TransformationFactory,
    UnitFactory,
    cluster,
    make_credit_code,
    make_patent_no,
)

pytestmark = pytest.mark.django_db


class TestUnitAPI(RegistryAPITests):
    url_name = "api:unit"
    versioned = False
    unit_user_may_create = False
    unit_user_may_update = False
    invalid_field = "code"
    ordering_field = "code"
    list_query_count = 6  # session, user, permissions (2), count, page

    def make(self, unit):
        return unit

    def make_filler(self, unit):
        return UnitFactory()

    def create_payload(self, unit):
        return {
            "code": make_credit_code(880_001),
            "name": "新建研究院",
            "type": "institute",
            "region": "210200",
        }

    def update_payload(self, obj):
        return {"name": "更名后的大学"}

    def invalid_payload(self, unit):
        return {**self.create_payload(unit), "code": make_credit_code(880_002)[:-1] + "0"}

    def filter_case(self, unit):
        institute = UnitFactory(type="institute", region="210203")
        return {"type": "institute", "region": "210200"}, [institute], [unit]


class TestAchievementAPI(RegistryAPITests):
    url_name = "api:achievement"
    invalid_field = "patent_no"
    ordering_field = "ref"
    list_query_count = 6

    def make(self, unit):
        return AchievementFactory(unit=unit, cluster=cluster("A01"))

    def create_payload(self, unit):
        return {
            "ref": "API-0001",
            "unit_code": unit.code,
            "title": "一种海水淡化膜材料",
            "keywords": "海水淡化, 膜",
            "ip_type": "invention_patent",
            "patent_no": make_patent_no(424_242, 2021),
            "trl": 5,
            "cluster": "B03",
            "funded": True,
            "convertible": False,
            "registered_on": "2023-05-12",
            "ip_granted_on": "2024-01-10",
        }

    def update_payload(self, obj):
        # ``convertible`` is the department's (a unit user clearing it is refused: tests/test_policies.py).
        return {"trl": 8, "cluster": "E02", "funded": not obj.funded}

    def invalid_payload(self, unit):
        return {**self.create_payload(unit), "patent_no": "201310699744.3"}

    def filter_case(self, unit):
        high = AchievementFactory(unit=unit, trl=8)
        low = AchievementFactory(unit=unit, trl=3)
        return {"trl_min": 7, "unit": unit.code}, [high], [low]


class TestTransfereeAPI(RegistryAPITests):
    url_name = "api:transferee"
    versioned = False
    unit_user_may_create = False
    unit_user_may_update = False
    invalid_field = "region"
    ordering_field = "code"
    list_query_count = 6

    def make(self, unit):
        return TransformationFactory(achievement=AchievementFactory(unit=unit)).transferee

    def make_filler(self, unit):
        return TransfereeFactory()

    def create_payload(self, unit):
        return {
            "code": make_credit_code(770_001, "440300", "91"),
            "name": "深圳某科技有限公司",
            "region": "440300",
        }

    def update_payload(self, obj):
        return {"name": "更名后的公司", "region": "210213"}

    def invalid_payload(self, unit):
        return {**self.create_payload(unit), "region": "219900"}

    def filter_case(self, unit):
        local = TransfereeFactory(region="210200")
        outside = TransfereeFactory(region="110105")
        return {"local": "false"}, [outside], [local]


class TestTransformationAPI(RegistryAPITests):
    url_name = "api:transformation"
    invalid_field = "received"
    ordering_field = "ref"
    list_query_count = 6

    def make(self, unit):
        return TransformationFactory(achievement=AchievementFactory(unit=unit))

    def create_payload(self, unit):
        AchievementFactory(unit=unit, ref="CG-API-1")
        return {
            "ref": "HT-API-1",
            "unit_code": unit.code,
            "achievement_ref": "CG-API-1",
            "mode": "license",
            "transferee": {
                "code": make_credit_code(660_001, "210200", "91"),
                "name": "大连某公司",
                "region": "210200",
            },
            "signed_on": "2023-09-18",
            "amount": "1500000.00",
            "received": "600000.00",
        }

    def assert_created(self, data, payload):
        super().assert_created(data, payload)
        if "transferee" in payload:
            for key, value in payload["transferee"].items():
                assert data["transferee"][key] == value

    def update_payload(self, obj):
        return {"received": "1.00", "mode": "equity"}

    def invalid_payload(self, unit):
        return {**self.create_payload(unit), "received": "2000000.00"}

    def filter_case(self, unit):
        local = TransformationFactory(
            achievement=AchievementFactory(unit=unit), signed_on=datetime.date(2023, 3, 1)
        )
        far = TransformationFactory(
            achievement=AchievementFactory(unit=unit),
            transferee=TransfereeFactory(region="310104"),
            signed_on=datetime.date(2023, 4, 1),
        )
        old = TransformationFactory(
            achievement=AchievementFactory(unit=unit), signed_on=datetime.date(2021, 1, 1)
        )
        assert Transferee.objects.get(pk=far.transferee_id).is_local is False
        return {"signed_year": 2023, "local": "true"}, [local], [far, old]
