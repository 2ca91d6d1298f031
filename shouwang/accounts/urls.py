from django.contrib.auth import views as auth_views
from django.urls import path

from shouwang.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("2fa/", views.otp_verify, name="otp_verify"),
    path("2fa/setup/", views.otp_enrol, name="otp_enrol"),
    path("2fa/backup-codes/", views.otp_backup_codes, name="otp_backup_codes"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("security/", views.security, name="security"),
    path("users/", views.users, name="users"),
    path("users/<int:user_pk>/logins/", views.user_logins, name="user_logins"),
    path("users/<int:user_pk>/reset-2fa/", views.user_otp_reset, name="user_otp_reset"),
    path("users/<int:user_pk>/role/", views.user_role, name="user_role"),
]
