"""The awards API (docs/incentives.md, "The awards API") and the published use-before-transfer list."""

from rest_framework import serializers

from ..models import Award, Listing


class AwardSerializer(serializers.ModelSerializer):
    rule = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="规则代码，如 post_subsidy")
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True,
                                        help_text="成果完成单位（合同所属单位；中试基地为运营单位）的统一社会信用代码")
    contract = serializers.SlugRelatedField(slug_field="ref", read_only=True, allow_null=True, help_text="合同编号")
    transferee = serializers.SerializerMethodField(help_text="受让方统一社会信用代码（合同类奖补）")
    base = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)

    class Meta:
        model = Award
        fields = ["id", "rule", "year", "unit", "contract", "transferee", "pilot_base_code", "beneficiary_kind",
                  "beneficiary_code", "beneficiary_name", "base", "amount", "status", "explanation", "rule_version",
                  "parameters", "paid_on"]
        read_only_fields = fields

    def get_transferee(self, award) -> str | None:
        return award.contract.transferee.code if award.contract_id else None


class PublicListingSerializer(serializers.ModelSerializer):
    """Published fields only."""

    ref = serializers.CharField(source="achievement.ref")
    title = serializers.CharField(source="achievement.title")
    unit = serializers.CharField(source="unit.code")
    unit_name = serializers.CharField(source="unit.name")
    ip_type = serializers.CharField(source="achievement.ip_type")
    patent_no = serializers.CharField(source="achievement.patent_no")
    ip_granted_on = serializers.DateField(source="achievement.ip_granted_on")
    trl = serializers.IntegerField(source="achievement.trl")
    cluster = serializers.CharField(source="achievement.cluster.code", default=None, allow_null=True)

    class Meta:
        model = Listing
        fields = ["ref", "title", "unit", "unit_name", "ip_type", "patent_no", "ip_granted_on", "trl", "cluster", "listed_on"]
        read_only_fields = fields
