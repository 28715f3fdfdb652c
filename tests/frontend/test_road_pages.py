"""The notifications page on the road: the language, the channels per kind, push on this
device and the calendar address."""

from django.urls import reverse

from exchange import notifications
from exchange.models import NotificationPreference, PersonalSettings


def test_the_page_offers_push_settings_and_the_calendar(volunteer_client):
    body = volunteer_client.get(reverse("notifications")).content.decode()
    assert "data-push-subscribe" in body and "push.js" in body
    assert 'name="pickup_assigned-push"' in body and 'name="claim_approved-email"' in body
    assert reverse("calendar_address") in body


def test_settings_are_saved_and_obeyed(volunteer_client, volunteer):
    data = {"language": "en"}
    for kind in ("claim_approved", "pickup_assigned"):
        data[f"{kind}-in_app"] = "on"
    data["pickup_assigned-push"] = "on"
    response = volunteer_client.post(reverse("notification_settings"), data, follow=True)
    assert 'class="message success"' in response.content.decode()
    assert PersonalSettings.objects.get(user=volunteer).language == "en"
    approved = NotificationPreference.objects.get(user=volunteer, kind="claim_approved")
    assert (approved.in_app, approved.email, approved.push) == (True, False, False)
    assert notifications.channels([volunteer], "pickup_assigned")[volunteer.pk] == {
        "in_app": True, "email": False, "push": True}
    assert notifications.languages([volunteer]) == {volunteer.pk: "en"}
    page = volunteer_client.get(reverse("notifications")).content.decode()
    assert 'name="claim_approved-email" id="claim_approved-email" aria-label' in page  # unchecked now


def test_an_unknown_language_is_refused(volunteer_client, volunteer):
    response = volunteer_client.post(reverse("notification_settings"), {"language": "xx"}, follow=True)
    assert 'class="message error"' in response.content.decode()
    assert not PersonalSettings.objects.filter(user=volunteer).exists()


def test_the_calendar_address_is_drawn_then_replaced(volunteer_client, volunteer):
    volunteer_client.post(reverse("calendar_address"))
    first = PersonalSettings.objects.get(user=volunteer).calendar_token
    assert first and first in volunteer_client.get(reverse("notifications")).content.decode()
    volunteer_client.post(reverse("calendar_address"), {"replace": "1"})
    assert PersonalSettings.objects.get(user=volunteer).calendar_token != first
