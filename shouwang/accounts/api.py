from ninja import Router, Schema

router = Router(tags=["accounts"])


class MeOut(Schema):
    username: str
    name: str
    role: str
    role_label: str
    scope_code: str | None
    scope_name: str | None


@router.get("/me", response=MeOut, summary="当前用户")
def me(request):
    user = request.user
    scope = user.scope_area
    return MeOut(
        username=user.username,
        name=user.display_name,
        role=user.role,
        role_label=str(user.get_role_display()),
        scope_code=scope.code if scope else None,
        scope_name=scope.name if scope else None,
    )
