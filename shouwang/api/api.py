"""The HTTP API, versioned under /api/v1/. Each app contributes a router from its api.py."""

from ninja import NinjaAPI
from ninja.security import django_auth

from shouwang.accounts.api import router as accounts_router
from shouwang.regions.api import router as regions_router

api = NinjaAPI(
    title="守望 Shouwang API",
    version="1",
    urls_namespace="api-v1",
    auth=django_auth,  # session login; unsafe methods need the CSRF token
)
api.add_router("/accounts", accounts_router)
api.add_router("/areas", regions_router)
