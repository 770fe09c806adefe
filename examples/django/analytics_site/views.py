"""The example's pages: Django's own sign-in and the analytics page with Qlik in it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, LogoutView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path

from qlik_jwt import UserClaims
from qlik_jwt.integrations.django import QlikEmbedding


def identify(request: HttpRequest) -> UserClaims | None:
    """The one function qlik-jwt needs: the signed-in user as Qlik should see them."""
    user = request.user
    if not user.is_authenticated:
        return None
    return UserClaims(
        # Stable for the person (Qlik finds users by subject): this project never renames
        # users; if yours does, use the primary key.
        sub=f"demo|{user.get_username()}",
        name=user.get_full_name() or user.get_username(),
        email=user.email,
        # Django does not record whether an address was verified; say True only when your
        # app has (e.g. django-allauth's EmailAddress.verified).
        email_verified=False,
        groups=tuple(user.groups.values_list("name", flat=True)),
    )


def analytics(request: HttpRequest, qlik: QlikEmbedding) -> HttpResponse:
    response = render(request, "analytics_site/page.html", {"qlik": qlik.fragment(request)})
    response["Cache-Control"] = "no-store"  # the page holds the CSRF token
    return response


def site_urls(qlik: QlikEmbedding) -> list[Any]:
    """The project's URL patterns around ``qlik``."""
    return [
        path("", login_required(analytics), {"qlik": qlik}, name="analytics"),
        path(
            "sign-in",
            LoginView.as_view(template_name="analytics_site/sign_in.html"),
            name="sign-in",
        ),
        path("sign-out", LogoutView.as_view(next_page="sign-in"), name="sign-out"),
        path("qlik/", include(qlik.urls)),
    ]
