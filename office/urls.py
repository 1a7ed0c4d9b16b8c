from django.urls import path

from office import dashboard, reports_views, views

app_name = "office"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("register/", views.register, name="register"),
    path("outgoing/", views.outgoing_register, name="outgoing"),
    path("intake/", views.intake, name="intake"),
    path("statistics/", dashboard.statistics, name="statistics"),
    path("statistics/reports/", reports_views.report, name="reports"),
    path("dossiers/<uuid:public_id>/", views.dossier_page, name="dossier"),
    path("dossiers/<uuid:public_id>/files/<int:file_id>/", views.file_view, name="file"),
    path("dossiers/<uuid:public_id>/sign/", views.sign, name="sign"),
    path("dossiers/<uuid:public_id>/sign/pdf/", views.sign_pdf, name="sign_pdf"),
    path("dossiers/<uuid:public_id>/drafts/<int:number>/", views.draft_pdf, name="draft_pdf"),
    path("dossiers/<uuid:public_id>/control-sheet/", views.control_sheet, name="control_sheet"),
    path(
        "dossiers/<uuid:public_id>/components/<int:component_id>/certify/",
        views.certify,
        name="certify",
    ),
    path("dossiers/<uuid:public_id>/<str:action>/", views.act, name="act"),
]
