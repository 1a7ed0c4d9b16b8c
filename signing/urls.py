from django.urls import path

from signing import views

app_name = "signing"

urlpatterns = [
    path("", views.verify_start, name="verify_start"),
    path("roots.pem", views.trust_roots, name="roots"),
    path("<str:code>/", views.verify_code, name="verify"),
    path("<str:code>/download/", views.download, name="download"),
]
