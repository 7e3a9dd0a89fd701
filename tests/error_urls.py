"""URLconf for the error page tests: the site's routes plus a view that fails."""

from django.urls import path

from liaoning_tt.urls import urlpatterns as site_urlpatterns


def fail(request):
    raise RuntimeError("a failure inside a view")


urlpatterns = [path("test-failure/", fail), *site_urlpatterns]
