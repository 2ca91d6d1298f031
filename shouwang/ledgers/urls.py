from django.urls import path

from shouwang.ledgers import views

app_name = "ledgers"

urlpatterns = [
    # Import (导入): upload, the batch and its preview, commit, cancel
    path("import/", views.import_upload, name="import"),
    path("import/<int:pk>/", views.import_batch, name="batch"),
    path("import/<int:pk>/commit/", views.import_commit, name="commit"),
    path("import/<int:pk>/cancel/", views.import_cancel, name="cancel"),
    path("import/<int:pk>/errors.xlsx", views.import_errors, name="errors"),
    path("<slug:ledger_key>/template/", views.template_download, name="template"),
    path("<slug:ledger_key>/export/", views.export, name="export"),
]
