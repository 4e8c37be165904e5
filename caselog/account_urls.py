"""The password pages in the site's look (Django's views, our templates), ahead of
`django.contrib.auth.urls`; the admin keeps its own password pages."""

from django.contrib.auth import views as auth_views
from django.urls import path

from caselog.auth import LoginForm
from cases.forms import PasswordChangeForm, PasswordResetForm, SetPasswordForm

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path(
        "password_change/",
        auth_views.PasswordChangeView.as_view(
            template_name="registration/account_password_change.html",
            form_class=PasswordChangeForm,
        ),
        name="password_change",
    ),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="registration/account_password_change_done.html"
        ),
        name="password_change_done",
    ),
    path(
        "password_reset/",
        auth_views.PasswordResetView.as_view(
            template_name="registration/account_password_reset.html",
            form_class=PasswordResetForm,
            email_template_name="registration/account_password_reset_email.txt",
            subject_template_name="registration/account_password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="registration/account_password_reset_done.html"
        ),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="registration/account_password_reset_confirm.html",
            form_class=SetPasswordForm,
        ),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="registration/account_password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
]
