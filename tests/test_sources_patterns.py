"""The shapes of a photo id inside metadata text (machine tags, hierarchical keywords, URLs)."""
from __future__ import annotations

import pytest
from photofiles import ID, ID2, SHORT, SHORT2

from flickr_replace_plugin.photoid.patterns import (
    BASE58_ALPHABET,
    base58_decode,
    base58_encode,
    ids_in,
    is_photo_id,
)


@pytest.mark.parametrize(("short", "photo_id"), [(SHORT, ID), (SHORT2, ID2)])
def test_base58_matches_flickrs_own_pairs(short: str, photo_id: str) -> None:
    assert base58_decode(short) == int(photo_id)
    assert base58_encode(int(photo_id)) == short


def test_base58_alphabet_leaves_out_lookalikes() -> None:
    assert len(BASE58_ALPHABET) == 58 and not set("0OIl") & set(BASE58_ALPHABET)


@pytest.mark.parametrize(
    "keyword",
    [f"flickr:photo_id={ID}", f"flickr:id={ID}", f"FLICKR:ID={ID}", f'flickr:photo_id="{ID}"',
     f" flickr:id = {ID} ", f"holiday;flickr:id={ID};beach"],
)
def test_machine_tags_in_keywords(keyword: str) -> None:
    assert ids_in(keyword, "keyword") == [ID]


@pytest.mark.parametrize(
    "keyword",
    ["flickr:id=abc", "flickr:id=", f"flickr:ids={ID}", f"xflickr:id={ID}", f"flickr:id={ID}x",
     f"flickr:id=12{'3' * 30}", f"flickr:photo_id=٣{ID}", ID, f"see flickr:id={ID} here"],
)
def test_not_machine_tags(keyword: str) -> None:
    assert ids_in(keyword, "keyword") == []


def test_hierarchical_subject() -> None:
    assert ids_in(f"flickr|photo_id|{ID}", "hierarchical") == [ID]
    assert ids_in(f"flickr:photo_id={ID}", "hierarchical") == [ID]  # a flat machine tag there too
    assert ids_in(f"places|flickr|photo_id|{ID}", "hierarchical") == []
    assert ids_in("flickr|photo_id|abc", "hierarchical") == []


@pytest.mark.parametrize(
    "text",
    [f"https://www.flickr.com/photos/someone/{ID}", f"https://www.flickr.com/photos/someone/{ID}/",
     f"http://flickr.com/photos/12345678@N00/{ID}/in/album-72157600000000000/",
     f"Flickr URL: https://www.flickr.com/photos/someone/{ID}\nMore text",
     f"(see <https://www.flickr.com/photos/someone/{ID}>)", f"www.flickr.com/photos/someone/{ID}",
     f"https://flic.kr/p/{SHORT}", f"short: flic.kr/p/{SHORT}."],
)
def test_urls_in_free_text(text: str) -> None:
    assert ids_in(text, "text") == [ID]


@pytest.mark.parametrize(
    "text",
    [f"https://www.flickr.com/photos/someone/sets/{ID}", f"https://www.flickr.com/photos/someone/albums/{ID}",
     f"https://www.flickr.com/photos/tags/{ID}", f"https://www.flickr.com/photos/someone/{ID}abc",
     f"https://notflickr.com/photos/someone/{ID}", f"https://www.flickr.com/photos/someone/{'1' * 21}",
     "https://flic.kr/p/0OIl", f"https://flic.kr/p/{SHORT}0", f"flickr:id={ID}", ID,
     f"IMG_{ID}.jpg"],
)
def test_not_urls(text: str) -> None:
    assert ids_in(text, "text") == []


def test_two_urls_give_both_ids() -> None:
    assert ids_in(f"https://flic.kr/p/{SHORT2} and https://www.flickr.com/photos/x/{ID}", "text") == [ID, ID2]


@pytest.mark.parametrize("value", ["", "12a", " 12", "١٢", "1" * 21, "-1", "1.0"])
def test_is_photo_id_refuses(value: str) -> None:
    assert not is_photo_id(value)


def test_is_photo_id_accepts_digits() -> None:
    assert is_photo_id(ID) and is_photo_id("1") and is_photo_id("1" * 20)
