"""Near-duplicate groups: items whose vectors are within a similarity threshold of
each other, joined into groups by connected components (so A~B and B~C make one
group even when A and C are a little further apart). Whole files with the same
bytes (sha256) always join a group and are marked exact."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from searchapp.explore.items import SpaceItems
from searchapp.explore.neighbours import Neighbours


@dataclass(frozen=True)
class DuplicateGroup:
    members: list[dict[str, Any]]  # item descriptions, with "exact": same bytes as another
    similarity: float  # the lowest similarity of the pairs that joined the group
    exact: bool  # every member has the same bytes

    def as_dict(self) -> dict[str, Any]:
        return {"similarity": self.similarity, "exact": self.exact, "members": self.members}


def duplicate_groups(
    items: SpaceItems, neighbours: Neighbours, threshold: float
) -> list[DuplicateGroup]:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(items)
    rows, cols = np.nonzero(neighbours.similarity >= threshold)
    left, right = rows.tolist(), neighbours.index[rows, cols].tolist()
    weakest: dict[tuple[int, int], float] = {}
    for a, b, col in zip(left, right, cols.tolist(), strict=True):
        weakest[(min(a, b), max(a, b))] = float(neighbours.similarity[a, col])
    by_hash: dict[str, list[int]] = defaultdict(list)
    for i in range(n):
        # A record shares its file's hash with the file's other records: not a copy.
        if items.sha256[i] and not items.record_ids[i]:
            by_hash[items.sha256[i]].append(i)
    exact_members = set()
    for same in by_hash.values():
        if len(same) > 1:
            exact_members.update(same)
            for other in same[1:]:
                left.append(same[0])
                right.append(other)
    if not left:
        return []
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    members: dict[int, list[int]] = defaultdict(list)
    for i, label in enumerate(labels.tolist()):
        members[label].append(i)
    groups = []
    for group in members.values():
        if len(group) < 2:
            continue
        inside = set(group)
        pairs = [s for (a, b), s in weakest.items() if a in inside]
        exact = len({items.sha256[i] for i in group}) == 1 and inside <= exact_members
        groups.append(
            DuplicateGroup(
                members=[{**items.describe(i), "exact": i in exact_members} for i in sorted(group)],
                similarity=1.0 if exact else round(min(pairs, default=1.0), 4),
                exact=exact,
            )
        )
    # Largest groups first, then the closest.
    groups.sort(key=lambda g: (-len(g.members), -g.similarity, g.members[0]["title"]))
    return groups
