"""Pages: the user's notifications (unread first), marking read by POST, the e-mail preferences.
Another user's notification is 404, as if it did not exist (staff included)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import numbers
from core.ui.views import ListView, PageView

from . import selectors, services
from .filtersets import NotificationFilterSet
from .forms import EmailPreferencesForm
from .tables import NotificationTable


class NotificationList(ListView):
    filterset_class = NotificationFilterSet
    table_class = NotificationTable
    template_name = "notifications/list.html"
    filter_fields = ("unread", "event")
    title = gettext_lazy("通知")
    search_placeholder = gettext_lazy("通知内容")

    def get_queryset(self):
        return selectors.notification_list(user=self.request.user)


def _back(request, default: str = "notifications:list"):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


class NotificationMarkRead(PageView):
    http_method_names = ["post"]

    def get_queryset(self):
        return selectors.notification_list(user=self.request.user)

    def post(self, request, *args, **kwargs):
        notification = self.get_object()
        services.notification_mark_read(notification=notification, acting_user=request.user)
        return _back(request)


class NotificationMarkAllRead(PageView):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        count = services.notification_mark_all_read(acting_user=request.user)
        if count:
            messages.success(request, _("已将 %(count)s 条通知标为已读。") % {"count": numbers.count(count)})
        return _back(request)


class EmailPreferences(PageView):
    http_method_names = ["get", "head", "post"]
    template_name = "notifications/preferences.html"

    def get(self, request, *args, **kwargs):
        form = EmailPreferencesForm(choices=selectors.email_choices(user=request.user))
        return render(request, self.template_name, {"form": form})

    def post(self, request, *args, **kwargs):
        form = EmailPreferencesForm(request.POST, choices=selectors.email_choices(user=request.user))
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        services.email_preferences_save(
            user=request.user, all_events=form.cleaned_data["all_events"], events=form.event_choices()
        )
        messages.success(request, _("邮件通知设置已保存。"))
        return redirect("notifications:preferences")
