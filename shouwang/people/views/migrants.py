"""The directory of relatives working away (农民工台账)."""

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from shouwang.people.selectors import migrant_directory
from shouwang.regions.models import Area

PAGE_SIZE = 50


class MigrantFilterForm(forms.Form):
    """Work province and city offer only the places that occur in the user's
    directory (one query each); the city list follows the chosen province."""

    province = forms.ChoiceField(label=_lazy("务工省份"), required=False)
    city = forms.ChoiceField(label=_lazy("务工城市"), required=False)
    returned = forms.ChoiceField(label=_lazy("是否返乡"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        directory = migrant_directory(user=user).order_by()
        provinces = Area.objects.filter(code__in=directory.values("work_province_id"))
        cities = Area.objects.filter(code__in=directory.values("work_city_id"))
        chosen = self.data.get("province", "") if self.is_bound else ""
        if chosen:
            cities = cities.filter(parent_id=chosen)
            city = self.data.get("city", "")
            if city and city[:2] != chosen[:2]:
                # The province changed under a city of another province: drop the city.
                self.data = self.data.copy()
                self.data["city"] = ""
        everything = [("", _("全部"))]
        self.fields["province"].choices = everything + [
            (a.code, a.name) for a in provinces.order_by("code")
        ]
        self.fields["city"].choices = everything + [
            (a.code, a.name) for a in cities.order_by("code")
        ]
        self.fields["returned"].choices = everything + [
            ("no", _("未返乡")),
            ("yes", _("已返乡")),
        ]


@login_required
@permission_required("people.view_relation", raise_exception=True)
def migrant_list(request: HttpRequest) -> HttpResponse:
    """Relatives working away of the files in scope; a htmx request gets the filters
    (the city list follows the province) and the rows."""
    filters = MigrantFilterForm(request.GET or None, user=request.user)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    relations = migrant_directory(
        user=request.user,
        province=chosen.get("province", ""),
        city=chosen.get("city", ""),
        returned=chosen.get("returned", ""),
    )
    page = Paginator(relations, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {"filters": filters, "page": page, "query_string": params.urlencode()}
    template = "people/partials/_migrants.html" if request.htmx else "people/migrants.html"
    return render(request, template, context)
