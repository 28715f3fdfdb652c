"""French first, English complete: every string of the code is in the French catalogue,
translated, and compiled into the .mo file the server reads."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
FR_PO = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
CODE_DIRS = ["config", "inventory", "exchange", "pooling", "api", "frontend"]


def test_every_french_entry_is_translated_and_not_fuzzy():
    po = polib.pofile(str(FR_PO))
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert untranslated == [] and fuzzy == []


def test_compiled_catalogue_matches_the_sources():
    po = polib.pofile(str(FR_PO))
    mo = polib.mofile(str(FR_PO.with_suffix(".mo")))
    compiled = {(entry.msgctxt, entry.msgid): entry.msgstr for entry in mo}
    expected = {(entry.msgctxt, entry.msgid): entry.msgstr for entry in po.translated_entries()
                if not entry.msgid_plural}
    missing = {key: value for key, value in expected.items() if compiled.get(key) != value}
    assert missing == {}, "run `make messages` to recompile locale/*.mo"


def test_catalogue_holds_every_string_of_the_code(tmp_path):
    # Extract the strings of a copy of the code, so the committed catalogue is left alone.
    for name in CODE_DIRS:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "manage.py", tmp_path)
    (tmp_path / "locale").mkdir()
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "fr", "--no-location"],
        cwd=tmp_path, check=True, capture_output=True,
    )
    extracted = {entry.msgid for entry in polib.pofile(str(tmp_path / "locale/fr/LC_MESSAGES/django.po"))}
    catalogued = {entry.msgid for entry in polib.pofile(str(FR_PO))}
    assert sorted(extracted - catalogued) == [], "new strings: run `make messages` and translate them"
