from django.conf import settings
from django.core.cache import cache


def demo_data_present() -> bool:
    """True while any synthetic (demo) record exists; cached briefly so pages do not pay a query each."""
    value = cache.get("core:demo_data_present")
    if value is None:
        from achievements.models import Unit

        value = Unit.objects.filter(synthetic=True).exists()
        cache.set("core:demo_data_present", value, 60)
    return value


def site(request):
    return {"show_demo_banner": settings.DEMO_BANNER and demo_data_present()}
