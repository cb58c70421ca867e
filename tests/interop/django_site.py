"""A Django + DRF + Simple JWT project in one file, served over HTTP for
tests/django_interop.rs: Simple JWT's views at Simple JWT's paths and a
protected /api/me/.

    django_site.py postgres <url> <schema> <port>
"""
import sys

import django

from django_settings import configure

configure(sys.argv[1], sys.argv[2], sys.argv[3], ROOT_URLCONF=__name__, DEBUG=False,
          ALLOWED_HOSTS=["127.0.0.1", "localhost"])
django.setup()

from django.core.management import execute_from_command_line  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework.decorators import api_view, permission_classes  # noqa: E402
from rest_framework.permissions import IsAuthenticated  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework_simplejwt.views import (  # noqa: E402
    TokenBlacklistView,
    TokenObtainPairView,
    TokenRefreshView,
    TokenVerifyView,
)


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def me(request):
    return Response({"id": str(request.user.id), "username": request.user.username})


urlpatterns = [
    path("api/token/", TokenObtainPairView.as_view()),
    path("api/token/refresh/", TokenRefreshView.as_view()),
    path("api/token/verify/", TokenVerifyView.as_view()),
    path("api/token/blacklist/", TokenBlacklistView.as_view()),
    path("api/me/", me),
]

if __name__ == "__main__":
    execute_from_command_line(["django_site.py", "runserver", "--noreload", f"127.0.0.1:{sys.argv[4]}"])
