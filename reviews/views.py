"""Generic pages of the review workflow, on ``core.ui.views`` (docs/reviews.md, "Pages").

A concrete app subclasses each with its ``get_queryset`` (its selector, scoped to the user: a
document the user may not read is 404) and, if it likes, its templates:

- ``TransitionView`` (``action`` = submit / resubmit / accept): a confirmation page with an
  optional note; ``ReturnView``: a comment box per reviewed field and a note;
- ``ReviseView``: opens the next revision of an accepted document;
- ``RevisionListView``: every revision with its log and comments; ``DiffView``: two revisions
  field by field (``?from=1&to=2``, default: the previous and this one).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.ui.views import ActionView, PageView

from . import policies, services
from .choices import ReviewAction, ReviewStatus
from .forms import ReturnForm, TransitionForm

SOURCES = {
    ReviewAction.SUBMIT: (ReviewStatus.DRAFT,),
    ReviewAction.RESUBMIT: (ReviewStatus.RETURNED,),
    ReviewAction.RETURN: (ReviewStatus.SUBMITTED, ReviewStatus.RESUBMITTED),
    ReviewAction.ACCEPT: (ReviewStatus.SUBMITTED, ReviewStatus.RESUBMITTED),
}
PERMISSIONS = policies.TRANSITION_POLICIES


def available_actions(document, user) -> list[str]:
    """The acts this user may take on the document now (for the buttons)."""
    actions = [
        action for action, sources in SOURCES.items()
        if document.status in sources and PERMISSIONS[action](document, user)
    ]
    if policies.can_revise(document, user):
        actions.append(ReviewAction.REVISE)
    return actions


def review_context(document, user) -> dict:
    """What ``reviews/_panel.html`` needs on the document's page: the buttons and the comments."""
    urls = document.review_urls
    return {
        "review_buttons": [
            (urls[action], ReviewAction(action).label, "secondary" if action == ReviewAction.RETURN else "")
            for action in available_actions(document, user)
        ],
        "open_comments": document.open_comments() if document.status != ReviewStatus.ACCEPTED else {},
    }


class TransitionView(ActionView):
    """GET: the confirmation page; POST: the transition through ``reviews.services``."""

    action: str = ""
    form_class = TransitionForm
    confirm_template = "reviews/transition.html"
    context_object_name = "document"

    def object_allowed(self, user, document) -> bool:
        return policies.can_read(document, user) and PERMISSIONS[self.action](document, user)

    def refusal(self, document):
        if document.status not in SOURCES[self.action]:
            return _("当前状态（%(state)s）不能执行“%(action)s”。") % {
                "state": document.get_status_display(),
                "action": ReviewAction(self.action).label,
            }
        return None

    def get_form(self, data, document):
        # ``ActionView.handle`` hands ``perform`` only the cleaned data: the comments need the form.
        self._form = self.form_class(data, document=document, initial={"version": document.version})
        return self._form

    def comments(self, form) -> list[tuple[str, str]]:
        return []

    def perform(self, document, data):
        services.document_transition(
            document=document,
            action=self.action,
            acting_user=self.request.user,
            expected_version=data["version"],
            note=data.get("note") or "",
            comments=self.comments(self._form),
        )

    def success_message(self, document, data):
        return _("已%(action)s。") % {"action": ReviewAction(self.action).label}

    def get_context_data(self, document, context):
        context.update(action=self.action, action_label=ReviewAction(self.action).label)
        return context


class ReturnView(TransitionView):
    action = ReviewAction.RETURN
    form_class = ReturnForm
    confirm_template = "reviews/return.html"

    def comments(self, form):
        return form.comments()


class ReviseView(ActionView):
    """Open the next revision of an accepted document (a draft again) and go to it."""

    form_class = TransitionForm
    confirm_template = "reviews/revise.html"
    context_object_name = "document"

    def object_allowed(self, user, document) -> bool:
        return policies.is_owner(document, user)

    def refusal(self, document):
        if document.status != ReviewStatus.ACCEPTED or not document.is_current:
            return _("只有最新的已通过修订版可以发起更正。")
        return None

    def get_form(self, data, document):
        return self.form_class(data, document=document, initial={"version": document.version})

    def perform(self, document, data):
        self.revised = services.document_revise(
            document=document, acting_user=self.request.user, expected_version=data["version"],
            note=data.get("note") or "",
        )

    def success_message(self, document, data):
        return _("已发起第 %(n)s 版更正，请修改后重新提交审核。") % {"n": self.revised.revision}

    def success_url(self, document):
        return self.revised.get_absolute_url()


class RevisionListView(PageView):
    """Every revision of the document the user may read, newest first, with its log and comments."""

    http_method_names = ["get", "head"]
    template_name = "reviews/revisions.html"
    title = gettext_lazy("修订版本与审核记录")

    def get_context_data(self, document, context):
        return context

    def get(self, request, *args, **kwargs):
        document = self.get_object()
        if not policies.can_read(document, request.user):
            raise Http404
        revisions = [doc for doc in document.revisions() if policies.can_read(doc, request.user)]
        logs = type(document).review_logs(revisions)  # one read for every revision, not two each
        entries = [(doc, logs[doc.pk]) for doc in reversed(revisions)]
        context = {"document": document, "entries": entries, "title": self.title}
        return render(request, self.template_name, self.get_context_data(document, context))


class DiffView(PageView):
    """Two revisions field by field: ``?from=N&to=M`` (revision numbers; default the one before
    this revision and this one). ``all=1`` shows the unchanged fields too."""

    http_method_names = ["get", "head"]
    template_name = "reviews/diff.html"

    def get_context_data(self, document, context):
        return context

    def _revision(self, revisions, param, default):
        raw = self.request.GET.get(param)
        if raw is None:
            number = default
        else:
            try:
                number = int(raw)
            except ValueError:
                raise ValidationError(_("参数 %(p)s 应为修订版次（整数）。") % {"p": param}) from None
        for doc in revisions:
            if doc.revision == number:
                return doc
        raise ValidationError(_("参数 %(p)s：没有第 %(n)s 版。") % {"p": param, "n": number})

    def get(self, request, *args, **kwargs):
        document = self.get_object()
        if not policies.can_read(document, request.user):
            raise Http404
        revisions = [doc for doc in document.revisions() if policies.can_read(doc, request.user)]
        context = {"document": document, "revisions": revisions, "rows": [], "error": None}
        try:
            newer = self._revision(revisions, "to", document.revision)
            older = self._revision(revisions, "from", max(1, newer.revision - 1))
        except ValidationError as exc:
            context["error"] = exc.messages[0]
            return render(request, self.template_name, self.get_context_data(document, context), status=400)
        context.update(
            older=older,
            newer=newer,
            show_all=request.GET.get("all") == "1",
            rows=services.revision_diff(older, newer, changed_only=request.GET.get("all") != "1"),
        )
        return render(request, self.template_name, self.get_context_data(document, context))

