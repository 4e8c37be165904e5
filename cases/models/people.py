"""People and accounts: users, seller accounts and their members, support teams."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import get_supported_language_variant
from django.utils.translation import gettext_lazy as _

from background.mail import validate_sendable_address


def validate_time_zone(value: str) -> None:
    """A blank value (the site's zone) or an IANA zone name this system knows."""
    if value and value not in available_time_zones():
        raise ValidationError(_("Choose a time zone from the list."), code="invalid_time_zone")


@cache
def available_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def canonical_email(address: str) -> str:
    """The one stored form of an e-mail address (users, owners, CC lists): trimmed,
    lower-cased whole (Python's lower(), which knows every letter, not only ASCII).
    Rules compare canonical forms, so no database has to fold case."""
    return address.strip().lower()


class UserManager(DjangoUserManager):
    """Users are known by their e-mail address; there is no separate username."""

    def _create_user_object(self, email: str, password: str | None, **extra_fields):
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra_fields)
        user.password = ""
        if password is not None:
            user.set_password(password)
        else:
            user.set_unusable_password()
        return user

    def _create_user(self, email: str, password: str | None, **extra_fields):
        user = self._create_user_object(email, password, **extra_fields)
        user.save(using=self._db)
        return user

    # Known by e-mail: no `username` argument, unlike the manager it extends.
    def create_user(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username: str | None):
        return self.get(email__iexact=username)


class User(AbstractUser):
    username = None  # type: ignore[assignment]
    # Only addresses a mail server can be given (the admin's forms, createsuperuser).
    email = models.EmailField(
        _("e-mail address"), unique=True, validators=[validate_sendable_address]
    )
    # The language of the user's e-mails, kept from their last choice on the site;
    # blank: the site default (LANGUAGE_CODE).
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True, default=""
    )
    # The IANA zone the user reads times in (site pages, e-mails, the CSV export);
    # blank: the site's TIME_ZONE. Not `choices`: the zone list comes from the system.
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        default="",
        validators=[validate_time_zone],
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs) -> None:
        self.email = canonical_email(self.email)
        super().save(*args, **kwargs)

    def remember_language(self, code: str | None) -> None:
        """Keep `code` as the language of this user's e-mails, if the site offers it."""
        try:
            code = get_supported_language_variant(code or "")
        except LookupError:
            return
        if self.pk and self.language != code:
            self.language = code
            self.save(update_fields=["language"])


@receiver(user_logged_in)
def _remember_language_on_login(sender, request, user, **kwargs) -> None:
    """The user's language is one preference across devices. Logging in from a
    device whose language was chosen (the language cookie: the header's switcher, or
    this device's last signed-in page) saves that choice; a browser's languages
    alone change a saved preference no more than they override it once signed in
    (caselog.middleware.UserLanguageMiddleware), and are kept only when none is
    saved yet. A login outside a real request (a shell, a test's force_login)
    changes nothing."""
    if not isinstance(user, User) or request is None:
        return
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen:
        user.remember_language(chosen)
    if not user.language:
        user.remember_language(getattr(request, "LANGUAGE_CODE", None))


class SellerAccount(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Membership",
        related_name="seller_accounts",
        verbose_name=_("authorized users"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("seller account")
        verbose_name_plural = _("seller accounts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    account = models.ForeignKey(SellerAccount, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    added_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("authorized user")
        verbose_name_plural = _("authorized users")
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.account}"


DEFAULT_RESPONSE_TARGET_HOURS = 24


class SupportTeam(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    response_target_hours = models.PositiveIntegerField(
        _("response target (hours)"),
        default=DEFAULT_RESPONSE_TARGET_HOURS,
        help_text=_("How soon this team answers a seller, as sellers are told; past it, overdue."),
    )

    class Meta:
        verbose_name = _("support team")
        verbose_name_plural = _("support teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
