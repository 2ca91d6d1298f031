"""The HTTP API, versioned under /api/v1/. Each app contributes a router from its api.py."""

from ninja import NinjaAPI

from shouwang.accounts.api import router as accounts_router
from shouwang.api.auth import API_AUTH
from shouwang.people.api import router as people_router
from shouwang.regions.api import router as regions_router

api = NinjaAPI(
    title="守望 Shouwang API",
    version="1",
    urls_namespace="api-v1",
    auth=API_AUTH,  # bearer token, or the session (unsafe methods then need the CSRF token)
)
api.add_router("/accounts", accounts_router)
api.add_router("/areas", regions_router)
api.add_router("/people", people_router)
