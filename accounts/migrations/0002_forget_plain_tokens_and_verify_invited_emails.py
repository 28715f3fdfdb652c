"""The old API tokens (``rest_framework.authtoken``, kept in clear) are dropped: clients fetch a
new, hashed one from ``POST /api/v1/auth/token/``. knox's own table, which its migrations
create although ``accounts.ApiToken`` replaces its model, goes too: Django no longer knows it,
and on PostgreSQL a flush could not truncate ``auth_user`` while it pointed there. Accounts that accepted an invitation sent
to their current address have proved they receive mail there."""

from django.db import migrations


def verify_invited_emails(apps, schema_editor):
    Invitation = apps.get_model("inventory", "Invitation")
    User = apps.get_model("auth", "User")
    VerifiedEmail = apps.get_model("accounts", "VerifiedEmail")
    accepted = Invitation.objects.exclude(accepted_at=None).order_by("accepted_at")
    for invitation in accepted.iterator():
        user = User.objects.filter(email__iexact=invitation.email, is_active=True).order_by("pk").first()
        if user is not None:
            VerifiedEmail.objects.update_or_create(user=user, defaults={
                "email": user.email.lower(), "method": "invitation", "verified_at": invitation.accepted_at,
            })


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_api_tokens_and_verified_emails"),
        ("inventory", "0005_sitesettings_internal_first_help"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [
        migrations.RunSQL(
            ["DROP TABLE IF EXISTS authtoken_token", "DELETE FROM django_migrations WHERE app = 'authtoken'",
             "DROP TABLE IF EXISTS knox_authtoken"],
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.RunPython(verify_invited_emails, migrations.RunPython.noop),
    ]
