"""`searchapp models` lists what can be used here: the two offline text models, the
configured one (an endpoint is probed), CLIP and the speech model; a missing
package or a refused endpoint is said, and the endpoint's key is never shown."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from searchapp.cli import app as cli
from searchapp.config import DEFAULT_TEXT_MODEL, Settings, get_settings
from searchapp.embed import Embedders
from searchapp.embed.packaged_onnx import PACKAGED_MODELS, PARAPHRASE_MINILM_L3
from searchapp.model_catalog import available_models
from tests.embed.fake_endpoint import DIM, KEY, MODEL, FakeServer, running

runner = CliRunner()
L3 = PARAPHRASE_MINILM_L3.model_id


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with running() as fake:
        yield fake


@pytest.fixture
def endpoint_env(server: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    server.reset()
    for name, value in {
        "SEARCHAPP_STATE_DIR": str(tmp_path / "state"),
        "SEARCHAPP_LITE_SHARED": "false",
        "SEARCHAPP_TEST_RANDOM_CLIP": "1",
        "SEARCHAPP_TEXT_MODEL": f"endpoint:{MODEL}",
        "SEARCHAPP_TEXT_ENDPOINT_URL": server.url,
        "SEARCHAPP_TEXT_ENDPOINT_API_KEY": KEY,
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def by_model(output: str) -> dict[str, dict]:
    return {model["model"]: model for model in json.loads(output)["models"]}


@pytest.mark.model
def test_models_lists_offline_models_the_probed_endpoint_clip_and_speech(
    endpoint_env: Settings, server: FakeServer
) -> None:
    result = runner.invoke(cli, ["models", "--json"])
    assert result.exit_code == 0, result.output
    models = by_model(result.stdout)
    for name in (DEFAULT_TEXT_MODEL, L3):  # both load offline from their packages
        model = models[name]
        assert (model["usable"], model["offline"], model["configured"]) == (True, True, False)
        assert "loads offline, from the installed package" in model["detail"]
        assert "384-d" in model["detail"] and "no prompts" in model["detail"]
    endpoint = models[f"endpoint:{MODEL}"]
    assert (endpoint["usable"], endpoint["offline"], endpoint["configured"]) == (True, False, True)
    assert endpoint["detail"].startswith(f"remote: {server.url}, {DIM}-d")
    assert server.requests and server.requests[0]["model"] == MODEL  # it was asked
    [clip] = [m for m in models.values() if m["family"] == "clip"]
    assert clip["usable"] and "random weights" in clip["detail"]
    [speech] = [m for m in models.values() if m["family"] == "speech"]
    assert speech["configured"] and "loads" in speech["detail"]

    text = runner.invoke(cli, ["models"])
    assert text.exit_code == 0, text.output
    assert f"yes   text   {L3}: loads offline" in text.output
    assert f"net * text   endpoint:{MODEL}: remote: {server.url}, {DIM}-d" in text.output
    for output in (result.output, text.output):
        assert KEY not in output


def test_a_refused_endpoint_and_a_missing_package_are_said(
    endpoint_env: Settings, server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong_key = "sk-wrong-51d0c3b7"
    settings = endpoint_env.model_copy(update={"text_endpoint_api_key": SecretStr(wrong_key)})
    absent = dataclasses.replace(PARAPHRASE_MINILM_L3, distribution="no-such-model-package")
    monkeypatch.setitem(PACKAGED_MODELS, L3, absent)
    # MiniLM-L6 is not loaded here: only the failures are looked at.
    monkeypatch.setattr("searchapp.model_catalog.OFFLINE_TEXT_MODELS", (L3,))
    models = {m.model: m for m in available_models(settings, Embedders(settings))}

    packaged = models[L3]
    assert not packaged.usable and packaged.as_dict()["offline"] is None
    assert "pip install no-such-model-package" in packaged.check.detail
    endpoint = models[f"endpoint:{MODEL}"]
    assert not endpoint.usable
    assert "refused" in endpoint.check.detail and "SEARCHAPP_TEXT_ENDPOINT_API_KEY" in (
        endpoint.check.detail
    )
    # The fake server quotes the refused key back, as OpenAI does: it is scrubbed.
    assert wrong_key not in json.dumps([m.as_dict() for m in models.values()])


def test_help_explains_it() -> None:
    result = runner.invoke(cli, ["models", "--help"])
    assert result.exit_code == 0
    assert "endpoint:<model>" in result.output and "--json" in result.output
