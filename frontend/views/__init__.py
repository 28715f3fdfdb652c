from .accounts import SignInView  # noqa: F401  (config/urls.py puts it before Django's account pages)
from .core import home, media  # noqa: F401  (config/urls.py serves photos through frontend.views.media)
