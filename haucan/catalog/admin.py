from django.contrib import admin

from haucan.catalog import models

for model in (
    models.DataElement,
    models.DataSet,
    models.CategoryOption,
    models.Category,
    models.CategoryCombo,
    models.CategoryOptionCombo,
    models.OptionSet,
    models.Indicator,
    models.ValidationRule,
    models.Constant,
    models.NormSet,
    models.Norm,
):
    admin.site.register(model)
