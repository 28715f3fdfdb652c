"""Errors under ``/api/`` are JSON, a 500 included (API.md, v1.1).

DRF turns the errors it knows into JSON (``api.exceptions``); anything else that escapes a
view would reach Django's HTML error page (its debug page under DEBUG). The middleware answers
those with ``{"detail": "…"}`` and logs them with their traceback as Django would have;
``server_error`` does the same as ``handler500`` for what fails outside a view.
"""

from django.http import JsonResponse
from django.utils.log import log_response
from django.utils.translation import gettext as _
from django.views import defaults

API_PREFIX = "/api/"


def is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def server_error_response() -> JsonResponse:
    # The words of the pages' 500.html.
    return JsonResponse(
        {"detail": _("The error has been recorded. Please try again in a moment; nothing you saved is lost.")},
        status=500,
    )


class ApiErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_api(request):
            return None
        response = server_error_response()
        log_response("Internal Server Error: %s", request.path, response=response, request=request,
                     exception=exception)
        return response


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    """``handler500``: Django has already logged the exception."""
    if is_api(request):
        return server_error_response()
    return defaults.server_error(request, template_name=template_name)
