from django.urls import path

from feedback import office_views as views

app_name = "feedback_office"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("ratings/", views.ratings, name="ratings"),
    path("ratings/<int:rating_id>/hide/", views.hide, name="hide"),
    path("ratings/paper/<uuid:public_id>/", views.paper_rating, name="paper_rating"),
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/answer/", views.answer, name="answer"),
    path("<str:code>/refuse/", views.refuse, name="refuse"),
    path("<str:code>/publish/", views.publish, name="publish"),
    path("<str:code>/attachment/", views.attachment, name="attachment"),
]
