from django.urls import path

from feedback import views

app_name = "feedback"

urlpatterns = [
    path("", views.public_list, name="list"),
    path("gui/", views.send, name="send"),
    path("theo-doi/", views.track, name="track"),
    path("cua-toi/", views.mine, name="mine"),
    path("danh-gia/<uuid:public_id>/", views.rate_dossier, name="rate_dossier"),
    path("theo-doi/<str:code>/", views.status, name="status"),
    path("theo-doi/<str:code>/danh-gia/", views.rate_answer, name="rate_answer"),
    path("<str:code>/", views.public_detail, name="detail"),
]
