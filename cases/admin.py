from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from cases.models import Case, CaseHistory, Membership, SellerAccount, SupportTeam, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(SellerAccount)
class SellerAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(SupportTeam)
class SupportTeamAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


class CaseHistoryInline(admin.TabularInline):
    model = CaseHistory
    extra = 0
    can_delete = False
    fields = ["changed_at", "actor", "field", "old_value", "new_value", "note"]
    readonly_fields = fields
    ordering = ["changed_at", "id"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "short_description",
        "state",
        "support_team",
        "account",
        "primary_email",
        "created_at",
        "last_activity_at",
    ]
    list_filter = ["state", "support_team", "created_at", "account"]
    search_fields = ["=id", "primary_email", "short_description"]
    date_hierarchy = "created_at"
    list_select_related = ["support_team", "account"]
    show_full_result_count = False
    readonly_fields = [
        "id",
        "account",
        "created_at",
        "state",
        "primary_email",
        "cc_list",
        "short_description",
        "support_team",
        "last_activity_at",
        "resolved_at",
    ]
    inlines = [CaseHistoryInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
