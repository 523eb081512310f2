from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from haucan.petroleum import plans_views, views

app_name = "petroleum"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("stock/", views.stock, name="stock"),
    path("card/", views.card, name="card"),
    path("notes/new/<str:kind>/", views.note_new, name="note_new"),
    path("notes/<int:pk>/", views.note, name="note"),
    path("notes/<int:pk>/pdf/", views.note_pdf, name="note_pdf"),
    path("notes/<int:pk>/reverse/", views.note_reverse, name="note_reverse"),
    path("notes/<int:pk>/receive/", views.note_receive, name="note_receive"),
    path("quotas/", plans_views.quotas, name="quotas"),
    path("norms/", plans_views.norms, name="norms"),
    path("counts/", plans_views.counts, name="counts"),
    path("counts/<int:pk>/", plans_views.count, name="count"),
]
