"""The accessibility statement (déclaration d'accessibilité, RGAA 4.1), computed from data.

Two files in ``docs/accessibility/``:

- ``audit.json`` is written by the browser tests (``tests/e2e/test_every_page.py``): the
  pages audited, for which roles, languages and widths, the axe-core version, the browser, the
  date, and the axe rules that passed or failed;
- ``manual.json`` holds the criteria checked by hand (status, note, date) and the content
  known not to be accessible, with its reason.

Each RGAA criterion is assessed once: by the automated audit when ``AUTOMATED`` maps axe rules
to it (conforming when every one of those rules ran on the audited pages without a violation),
otherwise by ``manual.json``. A criterion in neither is "not evaluated", and the statement then
says "non conforme" whatever the rate: RGAA allows the other two statuses after a complete audit
only. Rate = conforming / (conforming + non-conforming), not-applicable criteria aside; the
status follows RGAA's thresholds (100 %: totally, at least 50 %: partially).
"""

import json
from datetime import date
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

FOLDER = Path(settings.BASE_DIR) / "docs" / "accessibility"
AUDIT_FILE = FOLDER / "audit.json"
MANUAL_FILE = FOLDER / "manual.json"

# RGAA 4.1: the number of criteria in each of the 13 themes (106 in all).
THEMES = {
    1: (_("Images"), 9), 2: (_("Frames"), 2), 3: (_("Colours"), 3), 4: (_("Multimedia"), 13),
    5: (_("Tables"), 8), 6: (_("Links"), 2), 7: (_("Scripts"), 5), 8: (_("Mandatory elements"), 10),
    9: (_("Structure of information"), 4), 10: (_("Presentation of information"), 14),
    11: (_("Forms"), 13), 12: (_("Navigation"), 11), 13: (_("Consultation"), 12),
}
CRITERIA = [f"{theme}.{n}" for theme, (_label, count) in THEMES.items() for n in range(1, count + 1)]

# Criteria the automated audit decides, and the axe-core rules that test them (RGAA's own
# correspondence, kept to the rules that test the whole criterion rather than a part of it).
AUTOMATED = {
    "1.1": ["image-alt", "input-image-alt", "role-img-alt", "svg-img-alt", "area-alt", "object-alt"],
    "2.1": ["frame-title"],
    "3.2": ["color-contrast"],
    "5.7": ["td-headers-attr", "th-has-data-cells"],
    "6.2": ["link-name"],
    "7.1": ["aria-allowed-attr", "aria-required-attr", "aria-required-children", "aria-required-parent",
            "aria-roles", "aria-valid-attr", "aria-valid-attr-value", "button-name", "aria-hidden-focus",
            "nested-interactive"],
    "8.2": ["duplicate-id-aria", "list", "listitem", "definition-list", "dlitem"],
    "8.3": ["html-has-lang"],
    "8.4": ["html-lang-valid"],
    "8.5": ["document-title"],
    "8.7": ["valid-lang"],
    # Our own check in the same audit: no horizontal scrolling at 320 CSS px (tables, the maps
    # and the calendar scroll in their own region).
    "10.11": ["rebond-reflow-320"],
    "11.1": ["label", "select-name", "input-button-name"],
    "11.13": ["autocomplete-valid"],
    "12.6": ["landmark-one-main", "landmark-no-duplicate-main", "landmark-unique", "region"],
    "12.7": ["bypass"],
    "13.1": ["meta-refresh"],
}

CONFORMING, NOT_CONFORMING, NOT_APPLICABLE, NOT_EVALUATED = "C", "NC", "NA", "NT"
STATUS_LABELS = {
    "total": _("totally conforming"), "partial": _("partially conforming"), "none": _("not conforming"),
}


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


@lru_cache(maxsize=4)
def _load(audit_mtime: float, manual_mtime: float) -> tuple[dict, dict]:
    return _read(AUDIT_FILE), _read(MANUAL_FILE)


def localised(value):
    """A text of ``manual.json``: a string, or ``{"fr": ..., "en": ...}`` read in the page's language."""
    if isinstance(value, dict):
        return value.get((get_language() or "fr")[:2]) or value.get("fr", "")
    if isinstance(value, list):
        return [localised(v) for v in value]
    return value


def _localised_all(value):
    if isinstance(value, dict) and not (value and set(value) <= {"fr", "en"}):
        return {key: _localised_all(v) for key, v in value.items()}
    if isinstance(value, list):
        return [_localised_all(v) for v in value]
    return localised(value)


def _mtime(path: Path) -> float:
    return path.stat().st_mtime if path.exists() else 0.0


def statement() -> dict:
    """The statement's figures: status, rate, each criterion's result, the audit's context."""
    audit, manual = _load(_mtime(AUDIT_FILE), _mtime(MANUAL_FILE))
    manual = _localised_all(manual)
    passed, failed = set(audit.get("rules_passed", [])), set(audit.get("rules_failed", []))
    by_hand = manual.get("criteria", {})
    results = {}
    for criterion in CRITERIA:
        rules = AUTOMATED.get(criterion)
        if rules and audit:
            ran = [rule for rule in rules if rule in passed or rule in failed]
            if any(rule in failed for rule in rules):
                results[criterion] = {"status": NOT_CONFORMING, "how": "axe-core",
                                      "rules": sorted(set(rules) & failed)}
            elif ran:
                results[criterion] = {"status": CONFORMING, "how": "axe-core", "rules": ran}
            else:  # nothing on the pages that the rules test (no frame, no image map…)
                results[criterion] = {"status": NOT_APPLICABLE, "how": "axe-core", "rules": []}
        elif criterion in by_hand:
            results[criterion] = {"status": by_hand[criterion]["status"], "how": "manual",
                                  "note": by_hand[criterion].get("note", "")}
        else:
            results[criterion] = {"status": NOT_EVALUATED, "how": "", "note": ""}
    counts = {key: sum(1 for r in results.values() if r["status"] == key)
              for key in (CONFORMING, NOT_CONFORMING, NOT_APPLICABLE, NOT_EVALUATED)}
    applicable = counts[CONFORMING] + counts[NOT_CONFORMING]
    rate = round(100 * counts[CONFORMING] / applicable, 1) if applicable else 0.0
    if counts[NOT_EVALUATED] or not audit:
        status = "none"
    elif rate == 100:
        status = "total"
    elif rate >= 50:
        status = "partial"
    else:
        status = "none"
    dates = [d for d in (audit.get("date"), manual.get("date")) if d]
    return {
        "status": status, "status_label": STATUS_LABELS[status], "rate": rate, "counts": counts,
        "results": results, "audit": audit, "manual": manual,
        "date": date.fromisoformat(max(dates)) if dates else None,
        "not_accessible": manual.get("not_accessible", []),
        "exemptions": manual.get("exemptions", []),
        "plan": manual.get("plan", []),
        "themes": [{"number": n, "label": label, "criteria": [
            {"id": c, **results[c]} for c in CRITERIA if c.split(".")[0] == str(n)]}
            for n, (label, _count) in THEMES.items()],
        "contact": settings.REBOND_ACCESSIBILITY_CONTACT,
        "editor": settings.REBOND_LEGAL_EDITOR,
        "site": settings.SITE_URL or "/",
    }


def footer_status() -> dict:
    data = statement()
    return {"status": data["status"], "status_label": data["status_label"]}


def audit_date() -> date | None:
    return statement()["date"]
