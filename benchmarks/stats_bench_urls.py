"""The project's URLs plus ``/bench/bare-summary/``: the summary JSON from memory, for comparison."""

import os
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path

from liaoning_tt.urls import urlpatterns as project_urlpatterns

_BODY = Path(os.environ["STATS_BENCH_JSON"]).read_bytes() if os.environ.get("STATS_BENCH_JSON") else b"{}"


@login_required
def bare_summary(request):
    return HttpResponse(_BODY, content_type="application/json")


urlpatterns = [path("bench/bare-summary/", bare_summary), *project_urlpatterns]
