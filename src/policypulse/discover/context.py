"""Context sketches: the words around a phrase's occurrences, as a short vector kept in the phrase statistics.

The context of a phrase is the bag of content words within ``WINDOW`` tokens of each occurrence (the
phrase's own tokens and boundary stopwords left out), each word weighted by its inverse document frequency
in the segment. Kept exactly, that is a vocabulary-sized vector per phrase; kept here, it is its random
projection onto ``DIM`` dimensions (each word a fixed pseudo-random +-1 vector derived from a hash of the
word, so every segment projects alike and sketches of different segments add up): cosines of projected
vectors approximate the cosines of the full ones (Johnson & Lindenstrauss 1984; Achlioptas 2003), with an
error of the order of ``1 / sqrt(DIM)``.

Each occurrence's window sum is centred: the window's length times the segment's mean word vector is
subtracted, so that what every text shares (the general vocabulary of the corpus and its era) cancels
and what remains is what is particular to the phrase's surroundings. Sums over occurrences are stored per
phrase and segment; a version's sketch is the sum over its segments.

Cost control: a phrase's sketch in a segment is made from about ``SAMPLE`` of its occurrences, a
deterministic pseudo-random sample (by a hash of the position) spread over the segment (a context distribution is estimated well from a few dozen windows); words in more
than ``MAX_SHARE`` of a segment's documents, and multi-word phrases that occur no more often than their
words' frequencies predict (random juxtapositions), get no sketch. The window counts of the sampled
occurrences form a sparse phrase x word matrix, multiplied once by the word vectors.
"""

from __future__ import annotations

import hashlib

import numpy as np

DIM = 64  # dimensions of a sketch
WINDOW = 10  # tokens either side of an occurrence
MIN_DOCS = 3  # a phrase gets a sketch in a segment where it occurs in at least this many documents
SAMPLE = 40  # occurrences per phrase and segment that make its sketch (evenly spread)
MIN_LLR = 8.0  # multi-word phrases need this log-likelihood ratio against chance (p < 1e-3 or so)
MAX_SHARE = 0.2  # words in more than this share of a segment's documents get no sketch of their own


def token_vectors(words: list[str]) -> np.ndarray:
    """A fixed +-1 vector of DIM entries per word (the bits of its BLAKE2b hash)."""
    if not words:
        return np.zeros((0, DIM), dtype=np.float32)
    raw = b"".join(hashlib.blake2b(w.encode("utf-8"), digest_size=DIM // 8).digest() for w in words)
    bits = np.unpackbits(np.frombuffer(raw, dtype=np.uint8)).reshape(len(words), DIM)
    return bits.astype(np.float32) * 2.0 - 1.0


def segment_sketches(ids: np.ndarray, word_vectors: np.ndarray, doc_start: np.ndarray, doc_end: np.ndarray,
                     occ_pos: np.ndarray, occ_len: np.ndarray, occ_row: np.ndarray, n_rows: int) -> np.ndarray:
    """Centred window sums per sketch row, from about ``SAMPLE`` occurrences of each row (a pseudo-random
    sample spread over the segment). ``word_vectors`` (V x DIM) are the weighted word vectors (0 for words that are no
    context), ``ids`` the token ids of the segment; occurrences are given by start position, length in
    tokens and the row they add to."""
    from scipy import sparse

    out = np.zeros((n_rows, DIM), dtype=np.float64)
    T, V = len(ids), len(word_vectors)
    if T == 0 or n_rows == 0 or len(occ_pos) == 0:
        return out
    # about SAMPLE occurrences per row: a row with c occurrences keeps those whose position hashes to 0
    # modulo ceil(c / SAMPLE) (a deterministic pseudo-random sample spread over the segment, no sorting)
    count = np.bincount(occ_row, minlength=n_rows)
    step = np.maximum(1, -(-count // SAMPLE))
    mixed = (occ_pos.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(33)
    keep = mixed % step[occ_row].astype(np.uint64) == 0
    order = np.argsort(occ_row[keep], kind="stable")
    pos = occ_pos[keep][order]
    n = occ_len[keep][order].astype(np.int64)
    row = occ_row[keep][order]
    # the window positions of every kept occurrence, as (row, token) entries of a count matrix
    offs = np.concatenate([np.arange(-WINDOW, 0), np.arange(WINDOW)])
    q = pos[:, None] + np.where(offs < 0, offs, 0)[None, :] + np.where(offs >= 0, offs, 0)[None, :] \
        + np.where(offs >= 0, n[:, None], 0)
    valid = (q >= doc_start[pos][:, None]) & (q < doc_end[pos][:, None])
    # rows are in order already (occurrences were sorted by row): build the CSR matrix directly
    toks = ids[q[valid]]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(row, weights=valid.sum(axis=1), minlength=n_rows))])
    counts = sparse.csr_matrix((np.ones(len(toks)), toks, indptr.astype(np.int64)), shape=(n_rows, V))
    mean = np.bincount(ids, minlength=V) @ word_vectors.astype(np.float64) / T
    length = np.bincount(row, weights=valid.sum(axis=1), minlength=n_rows)
    out += counts @ word_vectors.astype(np.float64) - length[:, None] * mean[None, :]
    return out


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine of two sketches, clipped to [0, 1] (opposed contexts are no more alike than unrelated ones)."""
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na == 0.0 or nb == 0.0:
        return 0.0
    return float(max(0.0, min(1.0, float(a @ b) / (na * nb))))
