"""HTTP API and dashboard (FastAPI): ``gaemi serve``.

:func:`gaemi.present.web.app.create_app` builds the app; each engine's endpoints live in
their own router module under :mod:`gaemi.present.web.routers`. See ``docs/web.md``.
"""
