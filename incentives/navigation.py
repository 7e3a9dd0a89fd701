from django.utils.translation import gettext_lazy as _

from core.registry import NavItem, register

from . import policies

register(
    NavItem("incentives", _("激励奖补"), "incentives:award_list", order=60, visible=policies.can_view_awards,
            active="/incentives/"),
)
