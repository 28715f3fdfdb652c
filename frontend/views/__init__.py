from .core import home, media  # noqa: F401  (config/urls.py serves photos through frontend.views.media)
