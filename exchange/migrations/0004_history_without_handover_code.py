"""Reservation history no longer copies the handover code (issue #13): both sides read the
history, and the code is what proves the volunteer came to the giver's site.

The copies already written are blanked first, then the column goes: a database restored from
a backup taken between the two steps holds no code in its history either.
"""

from django.db import migrations


def blank_handover_codes(apps, schema_editor):
    # The historical model has no history of its own: a plain update is right here.
    HistoricalReservation = apps.get_model("exchange", "HistoricalReservation")
    HistoricalReservation.objects.exclude(handover_code="").update(handover_code="")


class Migration(migrations.Migration):

    dependencies = [
        ("exchange", "0003_merge_20261126_1524"),
    ]

    operations = [
        # Nothing to restore when going back: the codes are gone for good.
        migrations.RunPython(blank_handover_codes, migrations.RunPython.noop),
        migrations.RemoveField(model_name="historicalreservation", name="handover_code"),
    ]
