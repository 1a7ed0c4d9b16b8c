from dataclasses import dataclass, field


@dataclass
class GatewayResult:
    """What the gateway said about one transaction, in the provider's neutral terms."""

    signature_valid: bool
    order_ref: str = ""
    amount: int | None = None  # VND
    currency: str = "VND"
    outcome: str = ""  # paid, failed, cancelled, pending, unknown
    response_code: str = ""
    transaction_no: str = ""
    bank_code: str = ""
    raw: dict = field(default_factory=dict)


class Provider:
    name = ""

    def payment_url(self, payment, *, return_url: str, client_ip: str, locale: str) -> str:
        """Where to send the browser to pay (signed request parameters)."""
        raise NotImplementedError

    def parse_callback(self, params: dict) -> GatewayResult:
        """Check and read a browser return or a server notification (IPN)."""
        raise NotImplementedError

    def ipn_response(self, code: str) -> dict:
        """The body the gateway expects in answer to its notification."""
        raise NotImplementedError

    def query(self, payment, *, client_ip: str) -> tuple[dict, GatewayResult]:
        """Ask the gateway for a transaction's status: (request sent, result)."""
        raise NotImplementedError
