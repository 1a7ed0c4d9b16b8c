from django.urls import path

from payments import simulator, views

app_name = "payments"

urlpatterns = [
    path("dossiers/<uuid:public_id>/pay/", views.start, name="start"),
    path("vnpay/return/", views.gateway_return, name="return"),
    # The gateway simulator (development and tests; 404 unless PAYMENT_SIMULATOR).
    path("simulator/paymentv2/vpcpay.html", simulator.pay_page, name="simulator_pay"),
    path("simulator/merchant_webapi/api/transaction", simulator.query_api, name="simulator_query"),
]
