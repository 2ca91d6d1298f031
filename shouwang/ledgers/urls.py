from django.urls import path

from shouwang.ledgers import import_views, views

app_name = "ledgers"

urlpatterns = [
    # Import (导入): upload, the batch and its preview, commit, cancel
    path("import/", import_views.import_upload, name="import"),
    path("import/<int:pk>/", import_views.import_batch, name="batch"),
    path("import/<int:pk>/commit/", import_views.import_commit, name="commit"),
    path("import/<int:pk>/cancel/", import_views.import_cancel, name="cancel"),
    path("import/<int:pk>/errors.xlsx", import_views.import_errors, name="errors"),
    path("<slug:ledger_key>/template/", views.template_download, name="template"),
    path("<slug:ledger_key>/export/", views.export, name="export"),
]
