"""Help: one page per area (registry, import, dashboard, API) registered by the app that owns the
area, linked from the header of every page of that area; help texts on every form field that has
a format."""

import pytest
from django.test import Client
from django.urls import reverse

from achievements.admin import MasterDataAdminForm
from achievements.forms import AchievementForm, TransformationForm, WithdrawForm
from achievements.models import Transferee, Unit
from core import registry

from .factories import AchievementFactory, TransformationFactory

pytestmark = pytest.mark.django_db

AREAS = {"registry", "import", "dashboard", "api"}


def test_each_area_has_a_help_page_that_renders(unit_client, staff_client):
    topics = {t.name for t in registry.registry.all(registry.HelpTopic)}
    assert AREAS <= topics
    for client in (unit_client, staff_client):
        index = client.get(reverse("core:help_index")).content.decode()
        for name in AREAS:
            url = reverse("core:help_topic", args=[name])
            assert f'href="{url}"' in index
            response = client.get(url)
            assert response.status_code == 200
            page = response.content.decode()
            topic = registry.help_topic(name)
            assert str(topic.title) in page and 'data-testid="help-page"' in page
            assert len(page) > 2000  # the area's text, not only the frame


def test_unknown_topic_is_404_and_anonymous_users_log_in_first(unit_client):
    assert unit_client.get(reverse("core:help_topic", args=["nothing"])).status_code == 404
    response = Client().get(reverse("core:help_topic", args=["registry"]))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize(
    "url_name, args, topic",
    [
        ("achievements:achievement_list", [], "registry"),
        ("achievements:achievement_create", [], "registry"),
        ("achievements:transformation_list", [], "registry"),
        ("exchange:import_upload", [], "import"),
        ("dashboards:dashboard", [], "dashboard"),
        ("home", [], None),
    ],
)
def test_every_page_links_to_the_help_of_its_area(staff_client, url_name, args, topic):
    page = staff_client.get(reverse(url_name, args=args)).content.decode()
    target = reverse("core:help_topic", args=[topic]) if topic else reverse("core:help_index")
    assert f'class="help-link" href="{target}"' in page


def test_record_pages_link_to_the_registry_help(staff_client):
    contract = TransformationFactory()
    target = reverse("core:help_topic", args=["registry"])
    for url in (
        contract.achievement.get_absolute_url(),
        reverse("achievements:achievement_edit", args=[contract.achievement.pk]),
        contract.get_absolute_url(),
        reverse("achievements:transformation_edit", args=[contract.pk]),
    ):
        assert f'class="help-link" href="{target}"' in staff_client.get(url).content.decode(), url


def test_the_longest_prefix_decides_the_area():
    assert registry.help_topic_for("/contracts/12/").name == "registry"
    assert registry.help_topic_for("/exchange/import/3/").name == "import"
    assert registry.help_topic_for("/api/v1/docs/").name == "api"
    assert registry.help_topic_for("/notifications/") is None


# --- help texts on the fields that have a format -------------------------------------------------

FORMAT_FIELDS = {
    "achievement": ("ref", "patent_no", "trl", "registered_on", "ip_granted_on", "keywords"),
    "contract": (
        "ref",
        "transferee_code",
        "transferee_region",
        "signed_on",
        "amount",
        "received",
        "registration_no",
    ),
    "withdraw": ("withdrawn_on",),
    "admin": ("code", "region"),
}


def _forms(staff_user):
    achievement = AchievementFactory()
    contract = TransformationFactory(achievement=achievement)
    return {
        "achievement": AchievementForm(instance=achievement, user=staff_user),
        "contract": TransformationForm(instance=contract, achievement=achievement),
        "withdraw": WithdrawForm(),
    }


def _admin_form(model):
    """The admin's form of ``model`` (units, transferees), built as the admin builds it."""
    meta = type("Meta", (), {"model": model, "fields": ["code", "name", "region"]})
    return type("AdminForm", (MasterDataAdminForm,), {"Meta": meta})()


def test_every_format_field_has_a_help_text(staff_user):
    forms = _forms(staff_user)
    for key in ("achievement", "contract", "withdraw"):
        form = forms[key]
        for name in FORMAT_FIELDS[key]:
            assert str(form.fields[name].help_text).strip(), f"{key}.{name} has no help text"
    for model in (Unit, Transferee):
        admin_form = _admin_form(model)
        for name in FORMAT_FIELDS["admin"]:
            assert str(admin_form.fields[name].help_text).strip(), f"{model.__name__}.{name}"


def test_amount_and_date_help_say_the_unit_and_the_format(staff_user):
    form = _forms(staff_user)["contract"]
    assert "元" in str(form.fields["amount"].help_text) and "万元" in str(form.fields["amount"].help_text)
    assert "年-月-日" in str(form.fields["signed_on"].help_text)
    assert "18位" in str(form.fields["transferee_code"].help_text)


def test_the_form_pages_show_the_help_texts(staff_client):
    achievement = AchievementFactory()
    page = staff_client.get(reverse("achievements:achievement_edit", args=[achievement.pk])).content.decode()
    assert "201310699744.2" in page and "年-月-日" in page and "修改原因" in page
