"""The project's URLs plus views that fail, for the tests of what a 500 looks like."""

from django.urls import path
from rest_framework.views import APIView

from config import urls


class Failure(RuntimeError):
    pass


def failing_view(request):
    raise Failure("a plain Django view failed")


class FailingApiView(APIView):
    def get(self, request):
        raise Failure("a DRF view failed")


handler500 = urls.handler500
urlpatterns = [
    path("api/v1/test-failures/django/", failing_view),
    path("api/v1/test-failures/drf/", FailingApiView.as_view()),
    path("test-failures/page/", failing_view),
    *urls.urlpatterns,
]
