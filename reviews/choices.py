from django.db import models
from django.utils.translation import gettext_lazy as _


class ReviewStatus(models.TextChoices):
    """The states of a filed document (docs/reviews.md, "The state machine")."""

    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    RETURNED = "returned", _("已退回")
    RESUBMITTED = "resubmitted", _("已重新提交")
    ACCEPTED = "accepted", _("已通过")


# The states in which the owner may still change the document.
EDITABLE_STATES = (ReviewStatus.DRAFT, ReviewStatus.RETURNED)
# The states that wait for a reviewer.
WAITING_STATES = (ReviewStatus.SUBMITTED, ReviewStatus.RESUBMITTED)


class ReviewAction(models.TextChoices):
    """The transitions (method names of ``ReviewedDocument``) and the revision act."""

    SUBMIT = "submit", _("提交")
    RETURN = "return_for_changes", _("退回修改")
    RESUBMIT = "resubmit", _("重新提交")
    ACCEPT = "accept", _("审核通过")
    REVISE = "revise", _("更正（新修订版）")
