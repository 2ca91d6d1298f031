from auditlog.cid import set_cid
from auditlog.middleware import AuditlogMiddleware
from django.conf import settings

from shouwang.audit.context import acting_as


class AuditMiddleware(AuditlogMiddleware):
    """django-auditlog's middleware, with two fixes.

    - The actor is set through `acting_as`, which is reset after the request (see
      audit/context.py for why auditlog's own variable is not enough).
    - X-Forwarded-For is honoured only behind a proxy we configured
      (TRUST_X_FORWARDED_FOR); otherwise anyone could forge their address.
    """

    def __call__(self, request):
        set_cid(request)
        data = self.get_extra_data(request)
        with acting_as(data["actor"], data["remote_addr"], data["remote_port"]):
            return self.get_response(request)

    @staticmethod
    def _get_remote_port(request):
        if settings.TRUST_X_FORWARDED_FOR:
            return AuditlogMiddleware._get_remote_port(request)
        return None

    @staticmethod
    def _get_remote_addr(request):
        if settings.TRUST_X_FORWARDED_FOR:
            return AuditlogMiddleware._get_remote_addr(request)
        return request.META.get("REMOTE_ADDR")
