"""Without CLIP the page says so up front: image controls disabled, with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from searchapp.app import App
from searchapp.config import Settings
from searchapp.embed import Embedders
from searchapp.errors import ModelUnavailableError
from searchapp.web import create_app


def test_the_page_says_up_front_that_image_search_is_off(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path / "state", lite_shared=False)
    no_clip = Embedders(settings)  # the default pretrained tag cannot download offline
    app = App(settings, embedders=no_clip)
    try:
        with TestClient(create_app(app, warm=False)) as client:
            before = client.get("/").text
            assert "clip-off" not in before  # not tried yet: nothing to say
            with pytest.raises(ModelUnavailableError):
                no_clip.clip()  # what the web app's warm-up does at start
            page = client.get("/")
        assert page.status_code == 200
        html = page.text
        assert 'class="notice clip-off"' in html and "Image search is unavailable" in html
        assert "CLIP weights cannot be loaded" in html  # the reason
        assert 'value="text-to-image" disabled' in html
        assert '<fieldset class="image-controls" disabled' in html
    finally:
        app.close()
