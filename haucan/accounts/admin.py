from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from haucan.accounts.models import Assignment, User


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(User)
class HaucanUserAdmin(UserAdmin):
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Hậu Cần Số", {"fields": ("full_name", "rank", "position", "phone")}),
    )
    list_display = ("username", "full_name", "is_active", "is_superuser", "last_login")
    search_fields = ("username", "full_name", "email")
    inlines = [AssignmentInline]
