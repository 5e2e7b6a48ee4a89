"""Content-hashed static URLs, their cache headers, and compression of text responses."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import brotli
import pytest
from flask import Response, request, stream_with_context, url_for

from quiz import static_files

IMMUTABLE = "public, max-age=31536000, immutable"
BIG_CSS = "body { color: #123456; }\n" * 100  # well over the 500-byte threshold
EMBED_JS = "(function () { /* host snippet */ })();\n" * 30


@pytest.fixture
def static_app(app, tmp_path):
    """The test app with static handling on, serving a static folder of known files."""
    folder = tmp_path / "static"
    (folder / "css").mkdir(parents=True)
    (folder / "css" / "big.css").write_text(BIG_CSS)
    (folder / "css" / "tiny.css").write_text("p{margin:0}\n")
    (folder / "embed.js").write_text(EMBED_JS)
    app.static_folder = str(folder)
    static_files.init_app(app)
    return app


def get(app, url: str, **headers):
    """GET like a server would: the body is read to the end and the response closed."""
    return app.test_client().get(url, headers=headers, buffered=True)


def short_sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:8]


def static_url(app, filename: str) -> str:
    with app.test_request_context():
        return url_for("static", filename=filename)


def test_static_url_carries_the_first_8_hex_of_the_files_sha256(app):
    static_files.init_app(app)
    real = Path(app.static_folder) / "css" / "quiz.css"
    assert static_url(app, "css/quiz.css") == (
        f"/static/css/quiz.css?v={short_sha(real.read_bytes())}"
    )


def test_embed_js_url_stays_stable_for_clinics_snippets(static_app):
    assert static_url(static_app, "embed.js") == "/static/embed.js"


def test_a_missing_file_gets_a_plain_url(static_app):
    assert static_url(static_app, "css/missing.css") == "/static/css/missing.css"


def test_a_path_outside_the_static_folder_gets_no_version(static_app, tmp_path):
    (tmp_path / "secret.txt").write_text("not for the web")
    assert static_url(static_app, "../secret.txt") == "/static/../secret.txt"


def test_the_version_is_computed_once_and_kept(static_app):
    first = static_url(static_app, "css/big.css")
    (Path(static_app.static_folder) / "css" / "big.css").write_text(BIG_CSS + "/* edit */\n")
    assert static_url(static_app, "css/big.css") == first


def test_in_debug_mode_an_edited_file_gets_a_new_version(static_app):
    static_app.debug = True
    first = static_url(static_app, "css/big.css")
    path = Path(static_app.static_folder) / "css" / "big.css"
    path.write_text(BIG_CSS + "/* a longer edit */\n")
    assert static_url(static_app, "css/big.css") == (
        f"/static/css/big.css?v={short_sha(path.read_bytes())}"
    )
    assert static_url(static_app, "css/big.css") != first


def test_a_hashed_url_is_cached_for_a_year(static_app):
    response = get(static_app, static_url(static_app, "css/big.css"))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert response.get_data(as_text=True) == BIG_CSS


def test_a_stale_or_missing_version_is_never_cached_for_a_year(static_app):
    for url in ("/static/css/big.css", "/static/css/big.css?v=00000000"):
        response = get(static_app, url)
        assert response.status_code == 200
        assert "immutable" not in response.headers.get("Cache-Control", "")
        assert "31536000" not in response.headers.get("Cache-Control", "")


def test_embed_js_is_cached_only_for_five_minutes(static_app):
    response = get(static_app, "/static/embed.js")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"


def test_the_shipped_embed_js_is_served_with_a_short_cache(app):
    static_files.init_app(app)
    if not (Path(app.static_folder) / "embed.js").exists():
        pytest.skip("static/embed.js is not in the tree yet")
    response = get(app, "/static/embed.js")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"


def test_a_missing_static_file_is_a_404_without_long_caching(static_app):
    response = get(static_app, "/static/css/missing.css?v=12345678")
    assert response.status_code == 404
    assert "immutable" not in response.headers.get("Cache-Control", "")


def test_static_text_is_gzipped_when_the_client_accepts_gzip(static_app):
    url = static_url(static_app, "css/big.css")
    response = get(static_app, url, **{"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert gzip.decompress(response.get_data()).decode() == BIG_CSS
    assert response.headers["Cache-Control"] == IMMUTABLE


def test_brotli_is_preferred_when_the_client_offers_both(static_app):
    response = get(static_app, "/static/embed.js", **{"Accept-Encoding": "gzip, deflate, br"})
    assert response.headers["Content-Encoding"] == "br"
    assert brotli.decompress(response.get_data()).decode() == EMBED_JS


def test_nothing_is_compressed_without_accept_encoding(static_app):
    response = get(static_app, "/static/css/big.css")
    assert "Content-Encoding" not in response.headers
    assert response.get_data(as_text=True) == BIG_CSS


def test_bodies_under_500_bytes_are_sent_as_they_are(static_app):
    response = get(static_app, "/static/css/tiny.css", **{"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in response.headers
    assert response.get_data(as_text=True) == "p{margin:0}\n"


def test_a_compressed_static_file_still_answers_304_to_its_etag(static_app):
    url = static_url(static_app, "css/big.css")
    etag = get(static_app, url, **{"Accept-Encoding": "gzip"}).headers["ETag"]
    again = get(static_app, url, **{"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["Cache-Control"] == IMMUTABLE


@pytest.fixture
def routed_app(static_app):
    """Routes returning HTML, JSON and streamed bodies, to check compression per type."""

    @static_app.get("/_test/page")
    def _page():
        return "<!doctype html><p>" + "quiz " * 300 + "</p>"

    @static_app.get("/_test/json")
    def _json():
        return {"items": ["answer"] * 200}

    @static_app.get("/_test/export.csv")
    def _export():
        # The shape of a CSV export: a generator that needs the request while it runs.
        def rows():
            yield "id,email\r\n"
            for n in range(500):
                yield f"{n},visitor{n}@example.com,{request.args.get('tag', '')}\r\n"

        return Response(stream_with_context(rows()), mimetype="text/csv")

    @static_app.get("/_test/stream.html")
    def _stream_html():
        def parts():
            for n in range(200):
                yield f"<p>part {n}</p>\n"

        return Response(stream_with_context(parts()), mimetype="text/html")

    return static_app


def test_html_and_json_responses_are_gzipped(routed_app):
    page = get(routed_app, "/_test/page", **{"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(page.get_data()).decode().count("quiz ") == 300
    data = get(routed_app, "/_test/json", **{"Accept-Encoding": "gzip"})
    assert data.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(data.get_data()).decode().count('"answer"') == 200


def test_a_streamed_csv_export_passes_through_uncompressed_and_whole(routed_app):
    client = routed_app.test_client()
    with client.get("/_test/export.csv?tag=x", headers={"Accept-Encoding": "gzip, br"}) as resp:
        assert resp.status_code == 200
        assert resp.is_streamed
        assert "Content-Encoding" not in resp.headers
        assert "Content-Length" not in resp.headers
        lines = resp.get_data(as_text=True).split("\r\n")
    assert lines[0] == "id,email"
    assert lines[500] == "499,visitor499@example.com,x"
    assert len(lines) == 502  # header, 500 rows, the empty string after the last CRLF


def test_a_streamed_html_response_is_compressed_chunk_by_chunk_intact(routed_app):
    client = routed_app.test_client()
    with client.get("/_test/stream.html", headers={"Accept-Encoding": "gzip"}) as resp:
        assert resp.is_streamed
        assert resp.headers["Content-Encoding"] == "gzip"
        assert "Content-Length" not in resp.headers
        body = gzip.decompress(resp.get_data()).decode()
    assert body == "".join(f"<p>part {n}</p>\n" for n in range(200))


def test_a_static_file_carries_no_download_name_and_leaves_the_date_to_the_server(static_app):
    response = get(static_app, static_url(static_app, "css/big.css"), **{"Accept-Encoding": "br"})
    assert response.status_code == 200
    # The WSGI server writes Date; the app's copy would be a second one.
    assert "Date" not in response.headers
    assert "Content-Disposition" not in response.headers
    assert response.headers["ETag"] and response.headers["Last-Modified"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "accept, encoding, decompress",
    [("gzip, deflate, br", "br", brotli.decompress), ("gzip", "gzip", gzip.decompress)],
)
def test_a_static_text_file_is_sent_compressed_at_full_strength(
    static_app, accept, encoding, decompress
):
    url = static_url(static_app, "css/big.css")
    first = get(static_app, url, **{"Accept-Encoding": accept})
    again = get(static_app, url, **{"Accept-Encoding": accept})
    assert first.headers["Content-Encoding"] == again.headers["Content-Encoding"] == encoding
    assert first.get_data() == again.get_data()
    assert decompress(first.get_data()).decode() == BIG_CSS
    # Written out rather than taken from the module, so a weaker setting there fails here.
    strongest = {
        "br": lambda data: brotli.compress(data, quality=11),
        "gzip": lambda data: gzip.compress(data, compresslevel=9, mtime=0),
    }[encoding](BIG_CSS.encode())
    assert first.get_data() == strongest
    assert int(first.headers["Content-Length"]) == len(strongest)
    assert first.headers["ETag"].endswith(f':{encoding}"')
    assert "Accept-Encoding" in first.headers["Vary"]


def test_an_edited_static_file_is_compressed_again(static_app):
    path = Path(static_app.static_folder) / "css" / "big.css"
    before = get(static_app, "/static/css/big.css", **{"Accept-Encoding": "br"}).get_data()
    path.write_text(BIG_CSS + "p { margin: 0; }\n" * 40)
    after = get(static_app, "/static/css/big.css", **{"Accept-Encoding": "br"}).get_data()
    assert after != before
    assert brotli.decompress(after).decode() == path.read_text()
