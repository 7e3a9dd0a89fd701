from django.db.models import Count, Q
from django.shortcuts import render

from achievements.choices import AchievementStatus
from achievements.models import Achievement, Unit
from dashboards.selectors import headline_figures


def home(request):
    context = {}
    if request.user.is_authenticated:
        achievements = Achievement.objects.for_user(request.user)
        context["counts"] = achievements.aggregate(
            total=Count("id"), active=Count("id", filter=Q(status=AchievementStatus.ACTIVE))
        )
        # 可转化成果: the statistics' figure (metric catalogue), as the dashboard shows it.
        figures = headline_figures(request.user)
        context["counts"]["convertible"] = figures["convertible"]["value"] if figures else 0
        context["convertible_url"] = figures["convertible"]["url"] if figures else None
        context["unit_count"] = Unit.objects.count() if request.user.is_staff else 1
    return render(request, "core/home.html", context)
