"""The 2-D map: PCA by default, UMAP when umap-learn is installed."""

from __future__ import annotations

import numpy as np

SEED = 0


def umap_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("umap") is not None


def project(vectors: np.ndarray, method: str) -> np.ndarray:
    """2-D coordinates of ``vectors``, scaled into [-1, 1]; the same for the same input."""
    if len(vectors) == 0:
        return np.zeros((0, 2), dtype=np.float32)
    if len(vectors) < 3:
        points = np.zeros((len(vectors), 2))
        points[:, 0] = np.arange(len(vectors))
    elif method == "umap":
        import umap

        points = umap.UMAP(n_components=2, metric="cosine", random_state=SEED).fit_transform(
            vectors
        )
    else:
        from sklearn.decomposition import PCA

        points = PCA(n_components=2, random_state=SEED).fit_transform(vectors)
    points = points - points.mean(axis=0)
    scale = float(np.abs(points).max()) or 1.0
    return (points / scale).astype(np.float32)


def sample_indices(n: int, cap: int) -> np.ndarray:
    """Which items are clustered and drawn: all of them up to ``cap``, else a seeded sample."""
    if n <= cap:
        return np.arange(n)
    return np.sort(np.random.default_rng(SEED).choice(n, cap, replace=False))
