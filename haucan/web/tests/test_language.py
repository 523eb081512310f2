from __future__ import annotations


def test_pages_are_vietnamese_even_for_an_english_browser(world, login):
    page = login("clerk_a").get("/units/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "Cây đơn vị" in page.content.decode()


def test_the_language_switcher_chooses_english(world, login):
    client = login("clerk_a")
    client.post("/i18n/setlang/", {"language": "en", "next": "/units/"})
    assert "Unit tree" in client.get("/units/").content.decode()


def test_api_clients_choose_with_accept_language(world, login):
    client = login("clerk_a")
    english = client.get("/api/analytics", HTTP_ACCEPT_LANGUAGE="en").json()["message"]
    vietnamese = client.get("/api/analytics").json()["message"]
    assert english != vietnamese
