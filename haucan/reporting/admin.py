from django.contrib import admin

from haucan.reporting.models import ApprovalLevel, ApprovalWorkflow, DataValueAudit


class ApprovalLevelInline(admin.TabularInline):
    model = ApprovalLevel
    extra = 1


@admin.register(ApprovalWorkflow)
class ApprovalWorkflowAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "period_type")
    filter_horizontal = ("data_sets",)
    inlines = [ApprovalLevelInline]


@admin.register(DataValueAudit)
class DataValueAuditAdmin(admin.ModelAdmin):
    """The value audit is append-only: visible, never editable."""

    list_display = ("changed_at", "changed_by", "action", "previous_value", "value", "origin")
    list_filter = ("action", "origin")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
