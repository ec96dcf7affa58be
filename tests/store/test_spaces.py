"""The registry of embedding spaces: one record shape, one codec, one set of hints."""

from __future__ import annotations

import pytest

from searchapp.embed import ModelIdentity
from searchapp.embed.clip import TINY_TEST_MODEL, ClipSource
from searchapp.errors import ModelMismatchError, ModelUnavailableError, StoreError
from searchapp.store import CLIP_IMAGE_SPEC, CLIP_TEXT_SPEC, TEXT_SPEC
from searchapp.store.hybrid import KeywordIndex
from searchapp.store.schema import ALL_SPECS
from searchapp.store.spaces import (
    FAMILIES,
    IndexParams,
    ModelChoice,
    SpaceRecord,
    built_index_differences,
    check_identity,
    check_loaded,
    family_of,
    query_notice,
)

MINILM = ModelIdentity("minilm", 384, backend="onnx")


def test_every_space_has_one_family() -> None:
    assert sorted(s.space for specs in FAMILIES.values() for s in specs) == sorted(
        s.space for s in ALL_SPECS
    )
    assert family_of(TEXT_SPEC) == "text"
    assert family_of(CLIP_IMAGE_SPEC) == family_of(CLIP_TEXT_SPEC) == "clip"


def test_a_record_survives_its_properties() -> None:
    record = SpaceRecord(
        "clip_image",
        ModelIdentity("open_clip:x:sha256=ab", 512, load_from="/w/x.pt"),
        IndexParams(m=8, ef_construction=64),
        KeywordIndex(k1=1.5, b=0.5),
    )
    properties = record.properties()
    assert all(isinstance(v, str) for v in properties.values())  # Milvus takes strings
    back = SpaceRecord.from_properties(properties)
    assert back == record
    assert back.identity.load_from == "/w/x.pt"  # not part of equality: checked alone


def test_old_text_records_were_made_by_torch() -> None:
    properties = SpaceRecord("text", ModelIdentity("m", 4), IndexParams(16, 200)).properties()
    assert SpaceRecord.from_properties(properties).identity.backend == "torch"
    clip = SpaceRecord("clip_text", ModelIdentity("c", 4), IndexParams(16, 200)).properties()
    assert SpaceRecord.from_properties(clip).identity.backend == ""


def test_a_collection_without_a_record_is_refused() -> None:
    with pytest.raises(StoreError, match="no searchapp model record"):
        SpaceRecord.from_properties({"other": "x"})
    properties = SpaceRecord("text", MINILM, IndexParams(16, 200)).properties()
    properties["searchapp.index"] = "{}"
    with pytest.raises(StoreError, match="no readable index record"):
        SpaceRecord.from_properties(properties)


def test_the_index_has_one_shape_and_is_compared_with_milvus_spelling() -> None:
    record = SpaceRecord("text", MINILM, IndexParams(m=16, ef_construction=200))
    assert record.index_dict() == {"type": "HNSW", "M": 16, "efConstruction": 200}
    built = {"index_type": "HNSW", "M": "16", "efConstruction": "100", "total_rows": 3}
    assert built_index_differences(record, built) == ["efConstruction=100"]
    assert built_index_differences(record, {**built, "efConstruction": "200"}) == []


def test_the_settings_that_choose_a_model() -> None:
    assert ModelChoice.text("m").settings == "SEARCHAPP_TEXT_MODEL=m"
    assert ModelChoice.text("m").reindex == "--text-model m"
    tag = ModelChoice.clip(ClipSource.tag("ViT-B-16", "laion2b_s34b_b88k"))
    assert tag.settings == (
        "SEARCHAPP_CLIP_MODEL=ViT-B-16 SEARCHAPP_CLIP_PRETRAINED=laion2b_s34b_b88k"
    )
    assert tag.reindex == "--clip-model ViT-B-16 --clip-pretrained laion2b_s34b_b88k"
    recorded = ModelChoice.recorded("clip", ModelIdentity("open_clip:ViT-B-16:laion2b", 512))
    assert recorded.settings == "SEARCHAPP_CLIP_MODEL=ViT-B-16 SEARCHAPP_CLIP_PRETRAINED=laion2b"
    random = ClipSource.random(TINY_TEST_MODEL, purpose="test")
    assert ModelChoice.clip(random).settings == "SEARCHAPP_TEST_RANDOM_CLIP=1"
    assert ModelChoice.recorded("clip", ModelIdentity(random.model_id, 8)).settings == (
        "SEARCHAPP_TEST_RANDOM_CLIP=1"
    )
    lost = ModelIdentity("open_clip:x:sha256=ab", 512)  # records no checkpoint path
    assert ModelChoice.recorded("clip", lost).settings == "the CLIP settings it was built with"


def test_another_model_is_refused_with_the_setting_that_chooses_the_recorded_one() -> None:
    check_identity("c", TEXT_SPEC, MINILM, ModelIdentity("minilm", 384))  # backend is no part
    with pytest.raises(ModelMismatchError, match="set SEARCHAPP_TEXT_MODEL=minilm to use it"):
        check_identity("c", TEXT_SPEC, MINILM, ModelIdentity("other", 384))
    with pytest.raises(ModelMismatchError, match="384-d"):  # same name, other vectors
        check_identity("c", TEXT_SPEC, MINILM, ModelIdentity("minilm", 384, normalized=False))
    clip = ModelIdentity("open_clip:ViT-B-16:laion2b", 512)
    with pytest.raises(ModelMismatchError, match="SEARCHAPP_CLIP_PRETRAINED=laion2b to use it"):
        check_identity("c", CLIP_IMAGE_SPEC, clip, ModelIdentity("open_clip:ViT-B-32:x", 512))


def test_a_model_that_now_loads_differently_is_refused() -> None:
    check_loaded("c", TEXT_SPEC, MINILM, MINILM)
    with pytest.raises(ModelMismatchError, match="reindex --text-model"):
        check_loaded("c", TEXT_SPEC, MINILM, ModelIdentity("minilm", 768))
    clip = ModelIdentity("open_clip:a:b", 512)
    with pytest.raises(ModelMismatchError, match="reindex --space clip --re-embed"):
        check_loaded("c", CLIP_TEXT_SPEC, clip, ModelIdentity("open_clip:a:b", 256))


def test_a_search_says_when_it_uses_a_model_other_than_the_configured_one() -> None:
    assert query_notice(ModelChoice.text("a"), "a") is None
    notice = query_notice(ModelChoice.text("a"), "b")
    assert notice is not None
    assert "not SEARCHAPP_TEXT_MODEL=b" in notice and "Set SEARCHAPP_TEXT_MODEL=a" in notice
    clip = ModelChoice.clip(ClipSource.tag("A", "t"))
    notice = query_notice(clip, "(cannot be loaded)")
    assert notice is not None and "SEARCHAPP_CLIP_MODEL=A SEARCHAPP_CLIP_PRETRAINED=t" in notice


def test_a_clip_record_without_weights_names_none() -> None:
    with pytest.raises(ModelUnavailableError):
        ClipSource.recorded(ModelIdentity("sentence-transformers/minilm", 384))
    assert ModelChoice.recorded("clip", ModelIdentity("not-clip", 4)).reindex == ""
