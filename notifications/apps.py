from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("通知")

    def ready(self):
        from celery.signals import worker_ready

        from .tasks import sweep_at_worker_start

        # E-mails whose queueing failed (the broker was down) are sent when a worker starts.
        worker_ready.connect(sweep_at_worker_start, dispatch_uid="notifications.sweep_at_worker_start")
