"""The help pages (docs/help.md): an index of the areas' help pages and one page per area.

Each area's page is a ``core.registry.HelpTopic`` the app that owns the area registers (its
template, the URL prefixes of its pages); ``{% help_link %}`` in the page header links every page to
the help of its area. The pages hold no records: any signed-in user may read them.
"""

from django.http import Http404
from django.shortcuts import render

from core import registry

from .views import PageView


class HelpIndexView(PageView):
    http_method_names = ["get", "head"]

    def get(self, request):
        return render(request, "core/help/index.html", {"topics": registry.help_topics(request.user)})


class HelpTopicView(PageView):
    http_method_names = ["get", "head"]

    def get(self, request, name: str):
        topic = registry.help_topic(name)
        if topic is None or not topic.visible(request.user):
            raise Http404
        context = {"topic": topic, "topics": registry.help_topics(request.user)}
        return render(request, "core/help/topic.html", context)
