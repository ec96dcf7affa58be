"""Where a CLIP model's weights are: a local file, the Hugging Face cache, or only
the hub. `searchapp doctor` says where they come from without downloading them
(open_clip fetches a pretrained tag's weights, hundreds of MB, on first use).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from searchapp.embed.clip import ClipSource
from searchapp.errors import ModelUnavailableError

# open_clip's names for hub weight files (open_clip.constants), mirrored here so
# that nothing is imported from open_clip just to name them.
_HUB_WEIGHTS = "open_clip_pytorch_model.bin"
_HUB_SAFE_WEIGHTS = "open_clip_model.safetensors"


@dataclass(frozen=True)
class WeightsLocation:
    """Where the weights of a source are, for people; ``local``: no network needed."""

    where: str
    local: bool
    hub_repo: str = ""  # when the weights are only on the hub: the repository ...
    hub_files: tuple[str, ...] = ()  # ... and the files open_clip asks it for, in order


def locate(source: ClipSource, *, cache_dir: Path | None = None) -> WeightsLocation:
    """Where ``source``'s weights are; nothing is downloaded.

    ``cache_dir`` is the Hugging Face cache (default: huggingface_hub's own).
    """
    if source.random_weights:
        return WeightsLocation("random weights made in memory (tests only)", local=True)
    if source.load_from:
        kind = "open_clip model folder" if Path(source.load_from).is_dir() else "checkpoint file"
        return WeightsLocation(f"the {kind} {source.load_from}", local=True)
    import open_clip
    from huggingface_hub import try_to_load_from_cache

    if source.architecture.startswith("hf-hub:"):  # a hub repository with its own config
        repo, filename = source.architecture.removeprefix("hf-hub:"), ""
    else:
        config = open_clip.get_pretrained_cfg(source.architecture, source.pretrained or "")
        if not config.get("hf_hub"):
            # A tag open_clip does not know for this architecture: loading fails at
            # once, without the network, and says so exactly.
            return WeightsLocation(
                f"open_clip's pretrained tag {source.pretrained!r} for {source.architecture}",
                local=True,
            )
        repo, filename = os.path.split(config["hf_hub"])
    files = _hub_files(filename or _HUB_WEIGHTS)
    for name in files:
        cached = try_to_load_from_cache(repo, name, cache_dir=cache_dir)
        if isinstance(cached, str):
            return WeightsLocation(f"the Hugging Face cache ({cached})", local=True)
    return WeightsLocation(
        f"the Hugging Face hub ({repo})", local=False, hub_repo=repo, hub_files=files
    )


def probe_hub(location: WeightsLocation) -> int:
    """The size in bytes of the weights on the hub (asks for metadata, downloads nothing).

    Raises ModelUnavailableError with the reason when the hub does not have them
    or cannot be reached.
    """
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    problem = "no weights file"
    for name in location.hub_files:
        try:
            metadata = get_hf_file_metadata(hf_hub_url(location.hub_repo, name), timeout=10)
        # The boundary with huggingface_hub and its HTTP client: not found, offline,
        # unreachable and refused each raise their own type; all mean "not from here".
        except Exception as exc:
            problem = f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
            continue
        return int(metadata.size or 0)
    raise ModelUnavailableError(
        f"the weights are not in the local Hugging Face cache, and the hub cannot provide "
        f"them ({location.hub_repo}: {problem})"
    )


def _hub_files(filename: str) -> tuple[str, ...]:
    """The files open_clip tries, in its order: a safetensors twin first."""
    if filename == _HUB_WEIGHTS:
        return (_HUB_SAFE_WEIGHTS, filename)
    if filename.endswith((".bin", ".pth")):
        return (filename[:-4] + ".safetensors", filename)
    return (filename,)
