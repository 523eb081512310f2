from django.contrib import admin

from haucan.org.models import Level, Unit, UnitGroup, UnitGroupSet, UnitLink


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    """Read-mostly: the tree is changed through the unit pages, which keep its history."""

    list_display = ("name", "code", "identifier", "kind", "depth", "opened_on", "closed_on")
    list_filter = ("kind", "depth")
    search_fields = ("name", "code", "identifier", "search_name")
    readonly_fields = ("uid", "parent", "path", "depth", "opened_on", "closed_on")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(UnitLink)
class UnitLinkAdmin(admin.ModelAdmin):
    list_display = ("unit", "parent", "valid_from", "valid_to", "reason")
    list_filter = ("reason",)

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


admin.site.register(Level)
admin.site.register(UnitGroup)
admin.site.register(UnitGroupSet)
