from django import forms
from django.contrib.auth.forms import PasswordChangeForm as DjangoPasswordChangeForm
from django.utils.translation import gettext_lazy as _

from shouwang.core.locking import VersionedForm


class CodeForm(forms.Form):
    """A six-digit code from the authenticator app, or a backup code."""

    code = forms.CharField(
        label=_("验证码"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "text",
                "autocapitalize": "none",
                "autofocus": True,
            }
        ),
    )


class PasswordChangeForm(DjangoPasswordChangeForm):
    """Django's form; the new password must differ from the current one."""

    def clean_new_password1(self):
        password = self.cleaned_data.get("new_password1")
        if password and self.user.check_password(password):
            raise forms.ValidationError(_("新密码不能与当前密码相同。"), code="password_unchanged")
        return password


class RoleForm(VersionedForm, forms.Form):
    """A user's role and scope area, given by the security administrator. The area
    is typed as its code (350724, 350724101 …)."""

    role = forms.ChoiceField(label=_("角色"))
    scope_area = forms.CharField(
        label=_("管辖区域代码"),
        max_length=12,
        help_text=_("县 6 位、乡镇 9 位、村 12 位统计用区划代码"),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args, subject, **kwargs):
        super().__init__(*args, **kwargs)
        from shouwang.accounts.services import ASSIGNABLE_ROLES

        self.set_version(subject)
        self.fields["role"].choices = [(role.value, role.label) for role in ASSIGNABLE_ROLES]

    def clean_scope_area(self):
        from shouwang.regions.models import Area
        from shouwang.regions.services import full_code

        code = "".join(self.cleaned_data["scope_area"].split())
        area = None
        if code.isdigit() and len(code) <= 12:
            # The scope is the service's rule (user_role_assign); here only the code.
            area = Area.objects.filter(code=full_code(code)).first()
        if area is None:
            raise forms.ValidationError(
                _("区划代码 %(code)s 不存在或不在您的管辖范围内"), params={"code": code}
            )
        return area
