"""Password change (every signed-in user) and password reset by e-mail: Django's own views with the
site's Chinese templates (templates/registration/)."""

from django.contrib.auth import views as auth_views
from django.urls import path

urlpatterns = [
    path("password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    # The admin's login page links to this name ("忘记了您的密码或用户名？"): the same page.
    path("password/reset/", auth_views.PasswordResetView.as_view(), name="admin_password_reset"),
    path("password/reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
