from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from haucan.barracks.views import buildings, cases, classifications, imports, land

app_name = "barracks"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", land.home, name="home"),
    path("sites/", land.sites, name="sites"),
    path("sites/new/", land.site_new, name="site_new"),
    path("sites/<int:pk>/", land.site, name="site"),
    path("sites/<int:pk>/boundary/", land.boundary, name="boundary"),
    path("sites/<int:pk>/transfers/new/", land.transfer_new, name="transfer_new"),
    path("sites/<int:pk>/certificates/new/", land.certificate_new, name="certificate_new"),
    path("sites/<int:pk>/cases/new/", land.case_new, name="case_new"),
    path("transfers/<int:pk>/area/", land.transfer_area, name="transfer_area"),
    path("cases/", cases.case_list, name="cases"),
    path("cases/<int:pk>/", cases.case, name="case"),
    path("cases/<int:pk>/documents/<int:doc>/", cases.document, name="document"),
    path("buildings/", buildings.building_list, name="buildings"),
    path("buildings/new/", buildings.building_new, name="building_new"),
    path("buildings/<int:pk>/", buildings.building, name="building"),
    path("import/", imports.import_page, name="import"),
    path("classifications/", classifications.classifications, name="classifications"),
    path(
        "classifications/<str:table>/new/",
        classifications.classification_edit,
        name="classification_new",
    ),
    path(
        "classifications/<str:table>/<int:pk>/",
        classifications.classification_edit,
        name="classification_edit",
    ),
    path("import/template/<str:kind>.xlsx", imports.template, name="import_template"),
]
