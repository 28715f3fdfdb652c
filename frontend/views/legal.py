"""The pages every public service owes its users, open to everyone signed in or not: the
legal notice, the privacy notice and the accessibility statement with its multi-year plan."""

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_GET

from frontend import accessibility, legal


@require_GET
def legal_notice(request):
    return render(request, "frontend/legal/legal_notice.html", {"notice": legal.legal_notice()})


@require_GET
def privacy(request):
    return render(request, "frontend/legal/privacy.html", {"notice": legal.privacy_notice()})


@require_GET
def accessibility_statement(request):
    statement = accessibility.statement()
    statement["site"] = settings.SITE_URL or request.build_absolute_uri("/")
    return render(request, "frontend/legal/accessibility.html", {"statement": statement})


@require_GET
def accessibility_plan(request):
    return render(request, "frontend/legal/accessibility_plan.html", {"statement": accessibility.statement()})
