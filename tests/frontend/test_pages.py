import pytest
from django.urls import reverse

from inventory import services
from tests.factories import upload


def test_anonymous_visitor_is_sent_to_the_french_sign_in_page(client, db):
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    body = response.content.decode()
    assert '<html lang="fr">' in body and "Se connecter" in body and "Mot de passe oublié" in body


def test_english_is_complete_when_asked(client, db):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Forgotten your password?" in response.content.decode()


def test_sign_in_lands_on_the_home_page(client, staff):
    response = client.post(reverse("login"), {"username": "staff", "password": "rebond-test"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "EHPAD Les Tilleuls" in response.content.decode()


def test_wrong_password_is_refused_with_a_message(client, staff):
    response = client.post(reverse("login"), {"username": "staff", "password": "nope"})
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect" in response.content.decode()


def test_password_reset_mails_a_link(client, staff, mailoutbox):
    client.post(reverse("password_reset"), {"email": staff.email})
    assert len(mailoutbox) == 1
    assert "/accounts/reset/" in mailoutbox[0].body and "réinitialisation" in mailoutbox[0].subject


@pytest.fixture
def photo(staff, item):
    return services.photo_add(actor=staff, item=item, upload=upload())


def test_photos_are_served_to_signed_in_users_only(client, photo, staff):
    url = photo.image.url
    assert client.get(url).status_code == 302  # to the sign-in page
    client.force_login(staff)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, max-age=300"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"


def test_photos_are_served_with_an_api_token(client, photo, staff):
    from accounts.tokens import token_issue

    _, key = token_issue(user=staff)
    response = client.get(photo.thumbnail.url, HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    assert response["Cache-Control"] == "private, max-age=300"  # a shared computer forgets it soon


@pytest.mark.parametrize("path", ["/media/../config/settings.py", "/media/photos/x.py", "/media/photos/nothing.jpg"])
def test_media_view_refuses_anything_but_stored_pictures(client, staff, path):
    client.force_login(staff)
    assert client.get(path).status_code == 404
