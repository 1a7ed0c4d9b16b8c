from django.contrib import admin

from payments.models import GatewayMessage, Payment, ReconciliationReport


class MessageInline(admin.TabularInline):
    model = GatewayMessage
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "signature_valid", "outcome", "payload"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    """Read-only: payments change only through the gateway's messages."""

    list_display = ["order_ref", "dossier", "amount", "status", "purpose", "created_at", "paid_at"]
    list_filter = ["status", "purpose", "provider"]
    search_fields = ["order_ref", "dossier__code", "gateway_transaction_no"]
    readonly_fields = [f.name for f in Payment._meta.fields]
    inlines = [MessageInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReconciliationReport)
class ReconciliationReportAdmin(admin.ModelAdmin):
    list_display = ["day", "checked", "created_at"]
    readonly_fields = ["day", "checked", "mismatches", "created_at"]

    def has_add_permission(self, request):
        return False
