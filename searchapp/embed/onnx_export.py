"""ONNX files of a sentence-transformers model, made locally on first use and cached.

The export needs torch (it traces the Hugging Face model once); using the files
afterwards needs only onnxruntime and tokenizers (see :mod:`searchapp.embed.onnx_text`).
Files are written under a temporary name and renamed into place, so a process
that stops half-way, or two processes exporting at once, never leave a partial
file where another process would load it.

sentence-transformers' own ``backend="onnx"`` and ``export_dynamic_quantized_onnx_model``
go through Hugging Face optimum; optimum-onnx 0.1.0 (the only release) needs
transformers < 4.58 and this project runs transformers 5, so the same two steps
are done here with ``torch.onnx.export`` and onnxruntime's own dynamic quantiser.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

from searchapp.errors import ModelUnavailableError

log = logging.getLogger(__name__)

FLOAT_FILE = "model.onnx"
INT8_FILE = "model_qint8.onnx"
# The transformer's inputs and output, as sentence-transformers' ONNX exports name them.
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAME = "token_embeddings"
_OPSET = 17


def cache_dir(root: Path, location: Path) -> Path:
    """The folder for ``location``'s ONNX files under ``root``.

    Named by the weights' path, size and modification time: other weights (a
    new package version, another folder) get their own export, without hashing
    90 MB on every start.
    """
    weights = _weights_file(location)
    stat = weights.stat()
    key = f"{location.resolve()}\x1f{stat.st_size}\x1f{stat.st_mtime_ns}"
    return root / f"{location.name}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def ensure_onnx(location: Path, folder: Path, *, int8: bool) -> Path:
    """The ONNX file of the model at ``location`` (float32, or dynamic int8), made if missing."""
    float_path = folder / FLOAT_FILE
    if not float_path.is_file():
        log.warning("exporting %s to ONNX (once, into %s)", location, folder)
        _atomic_write(float_path, lambda tmp: _export(location, tmp))
    if not int8:
        return float_path
    int8_path = folder / INT8_FILE
    if not int8_path.is_file():
        log.warning("quantising %s to int8 (once)", float_path)
        _atomic_write(int8_path, lambda tmp: _quantize(float_path, tmp))
    return int8_path


def _weights_file(location: Path) -> Path:
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (location / name).is_file():
            return location / name
    raise ModelUnavailableError(f"{location} holds no model.safetensors or pytorch_model.bin")


def _atomic_write(target: Path, write: Callable[[Path], None]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    tmp = Path(name)
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _export(location: Path, target: Path) -> None:
    try:
        import torch
        from transformers import AutoModel
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ModelUnavailableError(
            f"exporting to ONNX needs torch and transformers: {exc}"
        ) from exc
    model = AutoModel.from_pretrained(str(location)).eval()

    class _Transformer(torch.nn.Module):
        # Only the last hidden state: pooling is done outside, as sentence-transformers does.
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    sample = torch.ones((2, 8), dtype=torch.int64)
    mask = sample.clone()
    mask[1, 5:] = 0  # padding in the sample: the traced graph keeps the masking path
    dynamic = {name: {0: "batch", 1: "tokens"} for name in (*INPUT_NAMES, OUTPUT_NAME)}
    # The tracer warns about Python conditions in the attention-mask code; they
    # hold for every batch and length (tests compare the export with torch).
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Transformer(),
            (sample, mask, torch.zeros_like(sample)),
            str(target),
            input_names=list(INPUT_NAMES),
            output_names=[OUTPUT_NAME],
            dynamic_axes=dynamic,
            opset_version=_OPSET,
            dynamo=False,
        )


def _quantize(source: Path, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Dynamic quantisation: int8 weights, activations quantised per call; no
    # calibration data. Per-channel weights, as sentence-transformers' avx512_vnni preset.
    # The quantiser logs advice on the root logger (run its pre-processing first);
    # quiet it for this one-time call.
    logging.disable(logging.WARNING)
    try:
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        logging.disable(logging.NOTSET)
