"""The incentives' part of the demo data (``seed_demo``): the shipped rules evaluated for last year
(awards on synthetic contracts, left as proposals) and the use-before-transfer list of today."""

from django.utils import timezone

from .models import Award, Listing, ListingRun
from .services import evaluate_year, listing_refresh


def seed(seed: int) -> dict[str, int]:
    year = timezone.localdate().year - 1
    evaluate_year(year=year)  # idempotent: a second seed_demo changes nothing
    Award.objects.filter(year=year, synthetic=False).filter(contract__synthetic=True).update(synthetic=True)
    listing_refresh(notify_units=False)
    Listing.objects.filter(synthetic=False, achievement__synthetic=True).update(synthetic=True)
    return {
        "incentive awards": Award.objects.filter(synthetic=True).count(),
        "use-before-transfer list": Listing.objects.filter(synthetic=True, status="listed").count(),
    }


def reset() -> None:
    Award.history.filter(synthetic=True).delete()
    Award.objects.filter(synthetic=True).delete()
    Listing.history.filter(synthetic=True).delete()
    Listing.objects.filter(synthetic=True).delete()
    ListingRun.objects.all().delete()
