from django.urls import path

from procedures import views

app_name = "procedures"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("preview/<int:pk>/", views.preview, name="preview"),
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/file/", views.file_online, name="file"),
    path(
        "<str:code>/documents/<int:document_id>/template/",
        views.template_download,
        name="template",
    ),
]
