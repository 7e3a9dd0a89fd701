"""The home page: the cards the apps register (``core.registry.HomeCard``), per role.

The page knows no app: each card is an app's registration with who sees it and how its context is
read (staff: what waits for review, recent imports, stale figures; a unit user: their own figures,
imports and, once the annual reports app registers them, deadlines). A card whose context is
``None`` has nothing to show and is left out.
"""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from core.registry import HOME_SECTIONS, home_cards


def build_cards(request) -> list[dict]:
    """The cards the user sees, by section (``HOME_SECTIONS``) then order."""
    cards = []
    registered = sorted(home_cards(request.user), key=lambda card: HOME_SECTIONS.index(card.section))
    for card in registered:
        context = card.context(request)
        if context is None:
            continue
        cards.append(
            {
                "name": card.name,
                "title": card.title,
                "template": card.template,
                "section": card.section,
                "data": context,
            }
        )
    return cards


@require_safe
def home(request):
    cards = build_cards(request) if request.user.is_authenticated else []
    sections = [
        {"name": name, "cards": [card for card in cards if card["section"] == name]} for name in HOME_SECTIONS
    ]
    context = {
        "cards": cards,
        "cards_by_name": {card["name"]: card for card in cards},
        "sections": [section for section in sections if section["cards"]],
    }
    return render(request, "home/home.html", context)
