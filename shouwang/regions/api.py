from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from shouwang.regions.models import Area
from shouwang.regions.selectors import area_children

router = Router(tags=["areas"])


class AreaOut(Schema):
    code: str
    name: str
    level: int
    parent_code: str | None

    @staticmethod
    def resolve_parent_code(obj: Area) -> str | None:
        return obj.parent_id


class AreaChildOut(AreaOut):
    child_count: int


@router.get("/{code}", response=AreaOut, summary="一个行政区划")
def area_get(request, code: str):
    return get_object_or_404(Area.objects.visible_to(request.user), code=code)


@router.get("/{code}/children", response=list[AreaChildOut], summary="下级行政区划")
def area_children_list(request, code: str):
    area = get_object_or_404(Area.objects.visible_to(request.user), code=code)
    return list(area_children(user=request.user, area=area))
