from django.urls import path

from submissions import office

app_name = "office"

urlpatterns = [
    path("", office.queue, name="queue"),
    path("register/", office.register, name="register"),
    path("dossiers/<uuid:public_id>/", office.dossier_page, name="dossier"),
    path("dossiers/<uuid:public_id>/files/<int:file_id>/", office.file_view, name="file"),
    path("dossiers/<uuid:public_id>/control-sheet/", office.control_sheet, name="control_sheet"),
    path("dossiers/<uuid:public_id>/<str:action>/", office.act, name="act"),
]
