from django.urls import path

from submissions import views

app_name = "submissions"

urlpatterns = [
    path("", views.my_dossiers, name="list"),
    path("track/", views.track, name="track"),
    path("start/<str:code>/", views.start, name="start"),
    path("<uuid:public_id>/", views.detail, name="detail"),
    path("<uuid:public_id>/edit/", views.edit, name="edit"),
    path("<uuid:public_id>/documents/", views.documents, name="documents"),
    path("<uuid:public_id>/documents/<int:file_id>/remove/", views.remove_file, name="remove_file"),
    path("<uuid:public_id>/files/<int:file_id>/", views.download_file, name="file"),
    path("<uuid:public_id>/review/", views.review, name="review"),
    path("<uuid:public_id>/documents/<int:document_id>/pdf/", views.result, name="document"),
    path("<uuid:public_id>/submit/", views.submit, name="submit"),
    path("<uuid:public_id>/withdraw/", views.withdraw, name="withdraw"),
    path("<uuid:public_id>/delivery/", views.delivery, name="delivery"),
    path("<uuid:public_id>/delete/", views.delete_draft, name="delete"),
]
