from __future__ import annotations

from django.urls import path

from haucan.org import views

app_name = "org"

urlpatterns = [
    path("", views.tree, name="tree"),
    path("search/", views.search, name="search"),
    path("<str:uid>/", views.detail, name="detail"),
    path("<str:uid>/children/", views.children, name="children"),
    path("<str:uid>/add/", views.create_child, name="create_child"),
    path("<str:uid>/edit/", views.edit, name="edit"),
    path("<str:uid>/move/", views.move, name="move"),
    path("<str:uid>/close/", views.close, name="close"),
]
