from __future__ import annotations

from django.urls import path

from haucan.accounts import views_tokens

app_name = "accounts"

urlpatterns = [
    path("tokens/", views_tokens.token_list, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views_tokens.token_revoke, name="token_revoke"),
]
