from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = _("数据看板")

    def ready(self):
        from achievements.signals import records_changed
        from core.registry import HealthCheck, register

        from .selectors import statistics_health

        # /healthz/ reports whether every unit's figures could be built and what waits (core.health).
        register(HealthCheck("statistics", run=statistics_health))

        from .receivers import on_records_changed

        records_changed.connect(on_records_changed, dispatch_uid="dashboards.records_changed")

        from celery.signals import worker_ready

        from .tasks import sweep_at_worker_start

        worker_ready.connect(sweep_at_worker_start, dispatch_uid="dashboards.sweep_at_worker_start")
