"""The legal notice and the privacy notice, as data the pages render.

The privacy notice (GDPR art. 13) is written here once: who is responsible, why data is kept,
on what legal basis, what, for whom and for how long. The periods are read from where the code
applies them (the session's age, the API tokens' lifetime, the lock-out window, the transfer
records kept after erasure in ``exchange.privacy.RETAINED``), so the notice cannot promise
something the code does not do. The cookies the app sets are listed in ``NECESSARY_COOKIES``;
a test signs in, walks the pages and fails if the browser receives any other.
"""

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from exchange.privacy import RETAINED
from inventory.lockout import DEVICE_COOKIE


def legal_notice() -> dict:
    """Mentions légales: the département's settings (``REBOND_LEGAL_*``)."""
    return {
        "editor": settings.REBOND_LEGAL_EDITOR,
        "address": settings.REBOND_LEGAL_EDITOR_ADDRESS,
        "director": settings.REBOND_LEGAL_DIRECTOR,
        "host": settings.REBOND_LEGAL_HOST,
        "contact": settings.REBOND_LEGAL_CONTACT,
    }


def _hours(seconds: int):
    hours = seconds // 3600
    return ngettext_lazy("%(n)s hour", "%(n)s hours", hours) % {"n": hours}


def _days(days: int):
    return ngettext_lazy("%(n)s day", "%(n)s days", days) % {"n": days}


def _minutes(seconds: int):
    minutes = seconds // 60
    return ngettext_lazy("%(n)s minute", "%(n)s minutes", minutes) % {"n": minutes}


def necessary_cookies() -> list[dict]:
    """Every cookie Rebond sets, each strictly necessary to the service asked for (so exempt
    from consent, CNIL deliberation 2020-091 art. 5): no audience measurement, no third party."""
    return [
        {"name": settings.SESSION_COOKIE_NAME, "purpose": _("Keeps you signed in."),
         "duration": format_lazy(_("Until the browser closes, at most {}"), _hours(settings.SESSION_COOKIE_AGE))},
        {"name": settings.CSRF_COOKIE_NAME, "purpose": _("Protects forms against cross-site request forgery."),
         "duration": _days(settings.CSRF_COOKIE_AGE // 86400)},
        {"name": settings.LANGUAGE_COOKIE_NAME, "purpose": _("Remembers the language you chose."),
         "duration": _("Until the browser closes") if settings.LANGUAGE_COOKIE_AGE is None
         else _days(settings.LANGUAGE_COOKIE_AGE // 86400)},
        {"name": DEVICE_COOKIE,
         "purpose": _("Recognises a browser that signed in before, so that someone else's wrong "
                      "passwords do not lock you out (signed, holds no name)."),
         "duration": _days(settings.LOCKOUT_DEVICE_COOKIE_DAYS)},
        {"name": CookieStorage.cookie_name,
         "purpose": _("Carries a confirmation message to the next page (“Claim sent”)."),
         "duration": _("Deleted once shown")},
    ]


def necessary_cookie_names() -> set[str]:
    return {cookie["name"] for cookie in necessary_cookies()}


def privacy_notice() -> dict:
    """The privacy notice: controller, DPO, purposes and legal basis, data, recipients,
    retention, rights."""
    transfer_records, history, impact, invitations = RETAINED
    api_days = settings.REST_KNOX["TOKEN_TTL"].days
    api_max_days = settings.REST_KNOX["AUTO_REFRESH_MAX_TTL"].days
    return {
        "controller": settings.REBOND_LEGAL_EDITOR,
        "address": settings.REBOND_LEGAL_EDITOR_ADDRESS,
        "director": settings.REBOND_LEGAL_DIRECTOR,
        "dpo": settings.REBOND_DPO_CONTACT,
        "legal_basis": _(
            "Performance of a task carried out in the public interest (GDPR article 6(1)(e)): the "
            "département runs the reuse and pooling of its public facilities' equipment under its "
            "waste-prevention duties (French Environment Code, articles L541-1 and following; AGEC law "
            "of 10 February 2020, article 58)."),
        "purposes": [
            _("Give facilities' staff, partner associations and the département an account to list, claim, "
              "collect and book equipment."),
            _("Organise pickups and tours: who collects what, where and when."),
            _("Keep the legal records of public property leaving an inventory (transfer records)."),
            _("Report the scheme's impact to the département (figures without names)."),
            _("Send the notifications you chose (in the app, by e-mail, on your phone)."),
            _("Keep the service secure (sign-in lock-out, history of changes)."),
        ],
        "categories": [
            {"what": _("Account: username, first and last name, professional e-mail address, password "
                       "(hashed), organisations and roles, language"),
             "how_long": _("Until you erase your account (“My data” page) or an administrator does")},
            {"what": _("Signing in: session, sign-in attempts by username and address"),
             "how_long": format_lazy(_("Session: {session}; failed attempts: {window}"),
                                     session=_hours(settings.SESSION_COOKIE_AGE),
                                     window=_minutes(settings.LOCKOUT_WINDOW_SECONDS))},
            {"what": _("API tokens (for the association's software)"),
             "how_long": format_lazy(_("{days}, renewed by use up to {max_days}"),
                                     days=_days(api_days), max_days=_days(api_max_days))},
            {"what": transfer_records["what"], "how_long": transfer_records["how_long"]},
            {"what": history["what"], "how_long": history["how_long"]},
            {"what": _("Notifications, push subscriptions, calendar address, notification settings"),
             "how_long": _("Until you delete them or erase your account")},
            {"what": invitations["what"], "how_long": invitations["how_long"]},
            {"what": impact["what"], "how_long": impact["how_long"]},
        ],
        "recipients": [
            _("The members of your organisations, and of the organisations you exchange with (name of the "
              "person who claims, collects or hands over)"),
            _("The département's officers, for the reports (figures without names) and the transfer records"),
            _("The host, as processor (see the legal notice)"),
            _("Your browser's push service, for notifications on your phone (content encrypted)"),
            _("ProConnect (DINUM), when you sign in with it"),
        ],
        "no_transfer": _("No data leaves the European Union; nothing is sold, and nothing is used for "
                         "advertising or profiling."),
        "rights": [
            _("Access and portability: download everything Rebond stores about you (JSON) from the “My data” page."),
            _("Erasure: erase your account from the same page; what must legally stay is listed there."),
            _("Rectification: ask your organisation's coordinator or the data protection officer."),
            _("Objection and restriction: write to the data protection officer."),
        ],
        "complaint": _("If you think your rights are not respected, you may complain to the CNIL "
                       "(www.cnil.fr, 3 place de Fontenoy, 75007 Paris)."),
        "cookies": necessary_cookies(),
    }
