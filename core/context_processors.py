from django.conf import settings
from django.core.cache import cache

from .registry import demo_checks

DEMO_CACHE_KEY = "core:demo_data_present"
DEMO_CACHE_SECONDS = 60


def demo_data_present() -> bool:
    """True while any app says it holds synthetic (demo) records (``core.registry.DemoDataCheck``);
    cached briefly so pages do not pay a query each. The cache is optional: a miss (or a cache that
    is down, which reads as a miss) asks the apps again."""
    value = cache.get(DEMO_CACHE_KEY)
    if value is None:
        value = any(check.present() for check in demo_checks())
        cache.set(DEMO_CACHE_KEY, value, DEMO_CACHE_SECONDS)
    return value


def site(request):
    return {"show_demo_banner": settings.DEMO_BANNER and demo_data_present()}
