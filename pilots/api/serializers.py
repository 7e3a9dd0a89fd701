"""Serializers of the pilot-base API (docs/pilots.md, "Endpoints")."""

from rest_framework import serializers

from ..models import PilotBase


class PilotBaseSerializer(serializers.ModelSerializer):
    operator = serializers.CharField(source="operator.code", read_only=True)
    clusters = serializers.SerializerMethodField()
    site_area_m2 = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    provincial_funds = serializers.DecimalField(
        source="funds_total", max_digits=16, decimal_places=2, read_only=True
    )
    services = serializers.SerializerMethodField()

    class Meta:
        model = PilotBase
        fields = [
            "id",
            "code",
            "name",
            "operator",
            "city",
            "clusters",
            "designated_year",
            "status",
            "site_area_m2",
            "equipment_count",
            "staff_count",
            "provincial_funds",
            "services",
        ]
        read_only_fields = fields

    def get_clusters(self, base) -> list[str]:
        return sorted(c.code for c in base.clusters.all())

    def get_services(self, base) -> list[str]:
        return [s.code for s in base.services.all()]
