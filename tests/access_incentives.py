"""The access matrix's incentive records (tests/test_access_matrix.py calls ``build`` from ``_build``):
an award of unit B's contract and unit B's achievement on the use-before-transfer list."""

import datetime
from decimal import Decimal

from incentives.models import Award, Listing, Rule


def build(objects: dict) -> None:
    contract = objects["contract_b"]
    rule = Rule.objects.get(code="post_subsidy")
    objects["incentive_rule"] = rule
    objects["award_b"] = Award.objects.create(
        rule=rule, year=2024, subject_key=f"contract:{contract.pk}", contract=contract, unit_id=contract.unit_id,
        beneficiary_kind="transferee", beneficiary_code=contract.transferee.code,
        beneficiary_name=contract.transferee.name, city="210200", base=Decimal("1000000.00"),
        amount=Decimal("50000.00"), status="approved", explanation="矩阵", rule_version=rule.version, parameters={},
    )
    objects["listing_b"] = Listing.objects.create(
        achievement=objects["ach_b_dup"], unit_id=objects["unit_b"].pk, listed_on=datetime.date(2025, 1, 1)
    )
