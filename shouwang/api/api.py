"""The HTTP API, versioned under /api/v1/. Each app contributes a router from its api.py."""

from ninja import NinjaAPI
from ninja.errors import ValidationError as NinjaValidationError

from shouwang.accounts.api import router as accounts_router
from shouwang.api.auth import API_AUTH
from shouwang.care.api import router as care_router
from shouwang.people.api import router as people_router
from shouwang.protection.api import router as protection_router
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
api.add_router("/care", care_router)
api.add_router("/protection", protection_router)


# Pydantic's type errors, in Chinese and in the shape of the form errors
# ({"errors": {field: [message]}}), so a client handles one kind of 422.
TYPE_MESSAGES = {
    "missing": "必填",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_type": "日期格式应为 YYYY-MM-DD",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为文字",
    "list_type": "应为列表",
    "greater_than_equal": "超出允许范围",
    "less_than_equal": "超出允许范围",
    "json_invalid": "请求内容不是有效的 JSON",
    "uuid_parsing": "应为 UUID",
    "uuid_type": "应为 UUID",
    "string_too_long": "内容过长",
}
_LOCATIONS = {"body", "payload", "query", "path", "filters"}


@api.exception_handler(NinjaValidationError)
def validation_errors_in_chinese(request, exc):
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        field = ".".join(str(p) for p in error.get("loc", ()) if p not in _LOCATIONS)
        errors.setdefault(field or "__all__", []).append(
            TYPE_MESSAGES.get(error.get("type"), "格式不正确")
        )
    return api.create_response(request, {"errors": errors}, status=422)
