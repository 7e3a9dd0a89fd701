"""The review workflow of filed documents, written once (docs/reviews.md).

A concrete app subclasses ``ReviewedDocument`` (an abstract model: state, revision, optimistic
version, timestamps) and declares what the workflow needs to know about its document:

- ``review_owner_unit_id`` — the unit whose users file it;
- ``review_fields()`` — the reviewed fields, in page order: ``[(key, label), ...]``; ``key`` is a
  model field name or a dotted path into a JSON field (``"reported.transfer.amount"``); comments
  attach to these keys and the diff compares them;
- ``review_value(key)`` — the value of one key (the default reads fields and JSON paths);
- ``review_family()`` — a dict of lookups selecting every revision of the same document;
- ``check_submission()`` — raise ``ValidationError`` (keys = field keys) when it cannot be filed;
- ``review_events`` — ``{action: notification event name}`` (events declared in the app's
  ``events.py``) and ``review_notice_context()`` — the strings that fill their titles.

The transitions are django-fsm-2 transitions whose ``permission`` is checked inside the transition
itself (``guarded_transition``): calling ``report.accept(by=unit_user)`` raises ``PermissionDenied``
and leaves the state unchanged, whichever door called it. The writes (the lock, the version, the
log row, the comments, the notification) are in ``reviews.services``.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from core.models import TimeStampedModel, VersionedMixin

from . import policies
from .choices import ReviewAction, ReviewStatus

S = ReviewStatus


def guarded_transition(*, source, target, permission, denied):
    """A django-fsm-2 transition on ``status`` that refuses a user the policy does not admit.

    The decorated method is called as ``method(by=user, **kwargs)``; the permission is asked before
    the body runs, so a refused call raises ``PermissionDenied(denied)`` and the state is unchanged."""

    def decorate(func):
        @wraps(func)
        def body(self, *, by, **kwargs):
            if not permission(self, by):
                raise PermissionDenied(denied)
            return func(self, by=by, **kwargs)

        return transition(field="status", source=source, target=target, permission=permission)(body)

    return decorate


class ReviewedDocument(FSMModelMixin, TimeStampedModel, VersionedMixin):
    """A document a unit files and staff review, kept in revisions (one row per revision)."""

    status = FSMField(
        _("状态"), max_length=20, choices=ReviewStatus.choices, default=S.DRAFT, protected=True, db_index=True
    )
    revision = models.PositiveIntegerField(_("修订版次"), default=1, editable=False)
    is_current = models.BooleanField(_("最新修订版"), default=True, editable=False)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True, editable=False)
    accepted_at = models.DateTimeField(_("通过时间"), null=True, blank=True, editable=False)

    review_events: dict[str, str] = {}
    # URL names of the review pages are ``<review_url_prefix>_<action>``, ``…_revisions``, ``…_diff``
    # (each taking ``pk``); see docs/reviews.md, "Pages".
    review_url_prefix = ""

    class Meta:
        abstract = True

    # --- what the concrete document declares ------------------------------------------------

    @property
    def review_owner_unit_id(self) -> int | None:
        return getattr(self, "unit_id", None)

    def review_fields(self) -> list[tuple[str, object]]:
        raise NotImplementedError

    def review_family(self) -> dict:
        raise NotImplementedError

    def check_submission(self) -> None:
        """Raise ``ValidationError`` naming the fields when the document cannot be filed."""

    def review_notice_context(self) -> dict:
        return {"document": str(self)}

    def review_value(self, key: str):
        head, *rest = key.split(".")
        value = getattr(self, head, None)
        for part in rest:
            value = value.get(part) if isinstance(value, dict) else None
        return value

    # Fields not copied into the next revision (besides the primary key).
    revision_reset_fields = ("status", "revision", "is_current", "version", "submitted_at", "accepted_at",
                             "created_at", "updated_at")

    def clean_fields(self, exclude=None):
        # The state is protected (only transitions change it): validation must not assign it back.
        super().clean_fields(exclude={*(exclude or ()), "status"})

    # --- reading ----------------------------------------------------------------------------

    @property
    def is_editable(self) -> bool:
        return self.status in (S.DRAFT, S.RETURNED)

    @property
    def is_locked(self) -> bool:
        return not self.is_editable

    @property
    def review_urls(self) -> dict[str, str]:
        names = [*ReviewAction.values, "revisions", "diff"]
        return {name: reverse(f"{self.review_url_prefix}_{name}", kwargs={"pk": self.pk}) for name in names}

    def review_field_labels(self) -> dict[str, str]:
        return {key: str(label) for key, label in self.review_fields()}

    def revisions(self):
        return type(self).objects.filter(**self.review_family()).order_by("revision")

    def review_log(self):
        return ReviewLog.objects.filter(
            content_type=ContentType.objects.get_for_model(type(self)), object_id=self.pk
        ).select_related("actor").prefetch_related("comments")

    @classmethod
    def review_logs(cls, documents) -> dict[int, list[ReviewLog]]:
        """The logs of several revisions at once, by primary key: two queries (the rows with their
        actors, then their comments) however many revisions there are."""
        logs: dict[int, list[ReviewLog]] = {document.pk: [] for document in documents}
        rows = ReviewLog.objects.filter(
            content_type=ContentType.objects.get_for_model(cls), object_id__in=list(logs)
        ).select_related("actor").prefetch_related("comments")
        for row in rows:
            logs[row.object_id].append(row)
        return logs

    def open_comments(self):
        """The field comments of the latest return of this revision, by field key."""
        last = self.review_log().filter(action=ReviewAction.RETURN).order_by("-at", "-pk").first()
        if last is None:
            return {}
        comments: dict[str, list] = {}
        for comment in last.comments.all():
            comments.setdefault(comment.field, []).append(comment)
        return comments

    # --- the state machine ------------------------------------------------------------------

    @guarded_transition(
        source=S.DRAFT, target=S.SUBMITTED, permission=policies.can_submit,
        denied=_("只有本单位用户可以提交。"),
    )
    def submit(self, *, by):
        self.check_submission()
        self.submitted_at = timezone.now()

    @guarded_transition(
        source=[S.SUBMITTED, S.RESUBMITTED], target=S.RETURNED, permission=policies.can_review,
        denied=_("只有厅工作人员可以退回。"),
    )
    def return_for_changes(self, *, by):
        pass

    @guarded_transition(
        source=S.RETURNED, target=S.RESUBMITTED, permission=policies.can_submit,
        denied=_("只有本单位用户可以重新提交。"),
    )
    def resubmit(self, *, by):
        self.check_submission()
        self.submitted_at = timezone.now()

    @guarded_transition(
        source=[S.SUBMITTED, S.RESUBMITTED], target=S.ACCEPTED, permission=policies.can_review,
        denied=_("只有厅工作人员可以审核通过。"),
    )
    def accept(self, *, by):
        self.accepted_at = timezone.now()


class ReviewLog(models.Model):
    """One act of the workflow on one revision of a document: who, when, from which state to which."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    document = GenericForeignKey("content_type", "object_id")
    action = models.CharField(_("操作"), max_length=30, choices=ReviewAction.choices)
    source = models.CharField(_("原状态"), max_length=20, choices=ReviewStatus.choices, blank=True)
    target = models.CharField(_("新状态"), max_length=20, choices=ReviewStatus.choices)
    revision = models.PositiveIntegerField(_("修订版次"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("操作人")
    )
    note = models.TextField(_("说明"), blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("审核记录")
        verbose_name_plural = _("审核记录")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="reviewlog_document_idx")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.source}→{self.target}"


class FieldComment(models.Model):
    """A reviewer's comment on one field of a document, written with a return."""

    log = models.ForeignKey(ReviewLog, on_delete=models.CASCADE, related_name="comments")
    field = models.CharField(_("字段"), max_length=100)
    label = models.CharField(_("字段名称"), max_length=200)
    text = models.TextField(_("审核意见"))

    class Meta:
        verbose_name = _("审核意见")
        verbose_name_plural = _("审核意见")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(text=""), name="fieldcomment_text_required",
                violation_error_message=_("审核意见不能为空。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.label}: {self.text}"
