from django.contrib import admin

from haucan.barracks import models

for model in (
    models.LandPurpose,
    models.BuildingType,
    models.DurabilityClass,
    models.ConditionLevel,
):
    admin.site.register(model)
