from django.contrib.auth import views as auth_views
from django.urls import include, path

from eid_provider import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The OpenID Connect endpoints under /o/ (the issuer): authorize/, token/, userinfo/,
    # .well-known/openid-configuration, .well-known/jwks.json, logout/ (end session).
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
]
