"""Protection over HTTP: assessments, cases (need-to-know), services and aid,
stations and activities, and a person's timeline — scoped like the pages."""

from ninja import Router

from shouwang.protection.api import cases, risk, stations, support

router = Router(tags=["protection"])
router.add_router("", risk.router)
router.add_router("", cases.router)
router.add_router("", support.router)
router.add_router("", stations.router)
