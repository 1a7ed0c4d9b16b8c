from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from office import api as api_office
from payments import api as payments_api
from portal import api, second_factor_views, views
from portal.eid import views as eid_views
from portal.forms import LoginForm, QueuedPasswordResetForm
from procedures import api as procedures_api
from signing import api as signing_api
from submissions import api as submissions_api

# The root URLconf wires every app, so it alone imports upwards (.importlinter says so).

auth_patterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=LoginForm
        ),
        name="login",
    ),
    # Also ends the national eID provider's session after an eID sign-in.
    path("logout/", eid_views.LogoutView.as_view(), name="logout"),
    # Citizens' sign-in with the national eID (404 while it is off).
    path("eid/login/", eid_views.StartView.as_view(), name="eid_login"),
    path("eid/callback/", eid_views.callback, name="eid_callback"),
    path("eid/link/", eid_views.link, name="eid_link"),
    # The staff's second factor (portal.second_factor).
    path("second-factor/", second_factor_views.verify, name="second_factor_verify"),
    path("second-factor/setup/", second_factor_views.setup, name="second_factor_setup"),
    path(
        "second-factor/recovery-codes/",
        second_factor_views.recovery_codes,
        name="second_factor_recovery",
    ),
    path("register/", views.register, name="register"),
    path("register/sent/", views.register_sent, name="register_sent"),
    path("register/confirm/<str:token>/", views.register_confirm, name="register_confirm"),
    path("phone/", views.phone_confirm, name="phone_confirm"),
    path("email/confirm/", views.email_confirm_send, name="email_confirm_send"),
    path("email/confirm/<str:token>/", views.email_confirm, name="email_confirm"),
    path("profile/", views.profile, name="profile"),
    path(
        "password/change/",
        views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "password/reset/",
        auth_views.PasswordResetView.as_view(form_class=QueuedPasswordResetForm),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

# The staff's API (office.api), under its own prefix: the citizen's API is walked by
# tests/submissions/test_access.py as "every dossier endpoint answers 404 to others".
office_api_patterns = [
    path("dossiers/", api_office.OfficeDossierListApi.as_view(), name="api-office-dossiers"),
    path("outgoing/", api_office.OfficeOutgoingListApi.as_view(), name="api-office-outgoing"),
    path(
        "dossiers/<uuid:public_id>/",
        api_office.OfficeDossierDetailApi.as_view(),
        name="api-office-dossier",
    ),
    path(
        "dossiers/<uuid:public_id>/actions/<str:action>/",
        api_office.OfficeDossierActionApi.as_view(),
        name="api-office-dossier-action",
    ),
    path(
        "specialists/",
        api_office.OfficeSpecialistListApi.as_view(),
        name="api-office-specialists",
    ),
    path(
        "dossiers/<uuid:public_id>/drafts/<int:number>/",
        api_office.OfficeDossierDraftApi.as_view(),
        name="api-office-dossier-draft",
    ),
    path(
        "dossiers/<uuid:public_id>/files/<int:file_id>/",
        api_office.OfficeDossierFileApi.as_view(),
        name="api-office-dossier-file",
    ),
]

api_patterns = [
    path("auth/token/", api.TokenApi.as_view(), name="api-token"),
    path("me/", api.MeApi.as_view(), name="api-me"),
    path("procedures/", procedures_api.ProcedureListApi.as_view(), name="api-procedures"),
    path(
        "procedures/<str:code>/",
        procedures_api.ProcedureDetailApi.as_view(),
        name="api-procedure",
    ),
    path("fields/", procedures_api.FieldListApi.as_view(), name="api-fields"),
    path("agencies/", procedures_api.AgencyListApi.as_view(), name="api-agencies"),
    path("verify/", signing_api.VerifyUploadApi.as_view(), name="api-verify-upload"),
    path("payments/vnpay/ipn/", payments_api.VnpayIpnApi.as_view(), name="api-payment-ipn"),
    path(
        "payments/<str:order_ref>/",
        payments_api.PaymentDetailApi.as_view(),
        name="api-payment",
    ),
    path("verify/<str:code>/", signing_api.VerifyCodeApi.as_view(), name="api-verify"),
    path("dossiers/", submissions_api.DossierListApi.as_view(), name="api-dossiers"),
    path(
        "dossiers/<uuid:public_id>/",
        submissions_api.DossierDetailApi.as_view(),
        name="api-dossier",
    ),
    path(
        "dossiers/<uuid:public_id>/files/",
        submissions_api.DossierFilesApi.as_view(),
        name="api-dossier-files",
    ),
    path(
        "dossiers/<uuid:public_id>/files/<int:file_id>/",
        submissions_api.DossierFileApi.as_view(),
        name="api-dossier-file",
    ),
    path(
        "dossiers/<uuid:public_id>/submit/",
        submissions_api.DossierSubmitApi.as_view(),
        name="api-dossier-submit",
    ),
    path(
        "dossiers/<uuid:public_id>/supplement/",
        submissions_api.DossierSupplementApi.as_view(),
        name="api-dossier-supplement",
    ),
    path(
        "dossiers/<uuid:public_id>/withdraw/",
        submissions_api.DossierWithdrawApi.as_view(),
        name="api-dossier-withdraw",
    ),
    path("dossiers/file/", submissions_api.DossierFileAtOnceApi.as_view(), name="api-dossier-file"),
    path(
        "dossiers/<uuid:public_id>/payments/",
        payments_api.PaymentStartApi.as_view(),
        name="api-dossier-payments",
    ),
    path("track/", submissions_api.TrackApi.as_view(), name="api-track"),
    path("office/", include(office_api_patterns)),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("account/", include(auth_patterns)),
    path("procedures/", include("procedures.urls")),
    path("verify/", include("signing.urls")),
    path("dossiers/", include("submissions.urls")),
    path("office/feedback/", include("feedback.office_urls")),
    path("office/", include("office.urls")),
    path("phan-anh/", include("feedback.urls")),
    path("payments/", include("payments.urls")),
    path("thong-ke/", include("stats.urls")),
    # The remote signing service simulator (development and tests; 404 unless CSC_SIMULATOR).
    path("csc-simulator/", include("signing.csc_simulator")),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("language/<str:code>/", views.switch_language, name="switch_language"),
    path("api/v1/", include(api_patterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file of its own: no inline script
    # (the Content-Security-Policy).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

handler400 = "portal.views.bad_request"
handler404 = "portal.views.not_found"
handler500 = "portal.views.server_error"
