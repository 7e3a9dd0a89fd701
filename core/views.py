from django.db.models import Count, Q
from django.shortcuts import render

from achievements.choices import AchievementStatus
from achievements.models import Achievement, Unit


def home(request):
    context = {}
    if request.user.is_authenticated:
        achievements = Achievement.objects.for_user(request.user)
        context["counts"] = achievements.aggregate(
            total=Count("id"),
            active=Count("id", filter=Q(status=AchievementStatus.ACTIVE)),
            convertible=Count("id", filter=Q(status=AchievementStatus.ACTIVE, convertible=True)),
        )
        context["unit_count"] = Unit.objects.count() if request.user.is_staff else 1
    return render(request, "core/home.html", context)
