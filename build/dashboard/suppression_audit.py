"""The interval audit of secondary suppression: what a reader can tell about each unknown.

A `Ledger` holds what a reader of the published files knows as integer unknowns (a suppressed
group's size, a withheld total), each with the bounds the reader knows, and the linear relations
between them and the published numbers (a month's total is the sum of its cohorts' cells, a
program's new editors are some of its campaign's, …). `range_of` asks an integer linear program
(scipy's `milp`, the HiGHS solver) for the smallest and largest value an unknown can take: the
exact range an attacker with every published number and every stated relation can narrow it to.
Secondary suppression (suppression.py) calls this to check that each suppressed value can still
be anything in its box.

Pure: no I/O; the same ledger gives the same answers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # SciPy takes a second to import: only a build that solves a ledger imports it
    from scipy.optimize import LinearConstraint

INFINITE = math.inf
INTEGRAL = 1e-6  # how far from an integer a solver's value may be and still count as that integer
TOLERANCE = 1e-9  # how far a relation of known values may miss its bounds (sums of integers: exact)


@dataclass
class Ledger:
    """Unknowns (by any hashable key) with bounds, and linear relations `low ≤ Σ coef·unknown ≤ high`."""

    lows: list[float] = field(default_factory=list)
    highs: list[float] = field(default_factory=list)
    index: dict = field(default_factory=dict)
    rows: list[tuple[dict[int, float], float, float]] = field(default_factory=list)
    _built: list | None = field(default=None, repr=False)
    _reduced: tuple | None = field(default=None, repr=False)

    def unknown(self, key, low: float = 0, high: float = INFINITE):
        """Declare `key` (once; a second call only narrows its bounds) and return it."""
        if key in self.index:
            position = self.index[key]
            self.lows[position] = max(self.lows[position], low)
            self.highs[position] = min(self.highs[position], high)
        else:
            self.index[key] = len(self.lows)
            self.lows.append(low)
            self.highs.append(high)
        return key

    def relate(self, terms: dict, low: float = -INFINITE, high: float = INFINITE) -> None:
        """`low ≤ Σ coefficient · unknown ≤ high`; `terms` maps unknown keys to coefficients."""
        coefficients: dict[int, float] = {}
        for key, coefficient in terms.items():
            position = self.index[key]
            coefficients[position] = coefficients.get(position, 0) + coefficient
        if coefficients:
            self.rows.append((coefficients, low, high))
            self._built = self._reduced = None

    def copy(self) -> Ledger:
        """An independent ledger with the same unknowns and relations (to add auxiliaries to)."""
        return Ledger(list(self.lows), list(self.highs), dict(self.index), list(self.rows))

    def range_of(self, key) -> tuple[int, int] | None:
        """The least and greatest integer value of `key` under every relation; None if none fits."""
        least = self.optimum({key: 1})
        most = self.optimum({key: -1})
        if least is None or most is None:
            return None
        return round(least[0]), -round(most[0])

    def optimum(self, objective: dict) -> tuple[float, np.ndarray] | None:
        """The least value of `Σ coefficient · unknown` over integer solutions, and a solution attaining
        it (an unknown's value at `index[key]`); None if no integer solution exists.

        Unknowns whose bounds meet (a published value) are constants: they are moved into the relations'
        bounds first, so the solver sees only the unknowns a reader does not know (a tenth of them on the
        campaign ledger). The linear relaxation is solved first: when its optimal vertex is integral it is
        an integer solution with the relaxation's bound, so it is the integer optimum too, and the integer
        program (several times slower on the campaign ledger) is only solved when it is not.
        """
        from scipy.optimize import Bounds, milp

        lows, highs = np.array(self.lows, dtype=float), np.array(self.highs, dtype=float)
        weights = np.zeros(len(lows))
        for key, coefficient in objective.items():
            weights[self.index[key]] += coefficient
        free = lows < highs
        constraints = self._free_constraints(lows, free)
        if constraints is None:  # a relation the known values alone break: no solution at all
            return None
        solution = lows.copy()
        if free.any():
            bounds = Bounds(lows[free], highs[free])
            size = int(free.sum())
            result = milp(weights[free], integrality=np.zeros(size), bounds=bounds, constraints=constraints)
            if result.status == 0 and np.any(np.abs(result.x - np.round(result.x)) > INTEGRAL):
                result = milp(weights[free], integrality=np.ones(size), bounds=bounds, constraints=constraints)
            if result.status != 0:  # no solution of the relaxation: none of the integer program either
                return None
            solution[free] = np.round(result.x)
        return float(weights @ solution), solution

    def _free_constraints(self, lows: np.ndarray, free: np.ndarray) -> list[LinearConstraint] | None:
        """The relations over the free unknowns, the fixed ones' part moved into their bounds; None when a
        relation of fixed unknowns only does not hold. Kept while the ledger's bounds stay the same."""
        from scipy.optimize import LinearConstraint

        built = self._built or self._constraints()
        if not built:
            return []
        state = (lows.tobytes(), free.tobytes())
        if self._reduced is not None and self._reduced[0] == state:
            return self._reduced[1]
        matrix, row_lows, row_highs = built[0].A, built[0].lb, built[0].ub
        offset = matrix[:, np.flatnonzero(~free)] @ lows[~free]
        reduced = matrix[:, np.flatnonzero(free)].tocsr()
        used = np.diff(reduced.indptr) > 0
        low, high = row_lows - offset, row_highs - offset
        if np.any(low[~used] > TOLERANCE) or np.any(high[~used] < -TOLERANCE):
            constraints = None
        elif used.any():
            constraints = [LinearConstraint(reduced[np.flatnonzero(used)], low[used], high[used])]
        else:
            constraints = []
        self._reduced = (state, constraints)
        return constraints

    def _constraints(self) -> list[LinearConstraint]:
        if not self.rows:
            return []
        self._built = self._matrix()
        return self._built

    def _matrix(self) -> list[LinearConstraint]:
        from scipy.optimize import LinearConstraint
        from scipy.sparse import coo_array

        rows, columns, values = [], [], []
        for number, (coefficients, _, _) in enumerate(self.rows):
            for position, coefficient in coefficients.items():
                rows.append(number)
                columns.append(position)
                values.append(coefficient)
        matrix = coo_array((values, (rows, columns)), shape=(len(self.rows), len(self.lows))).tocsr()
        lows = np.array([row[1] for row in self.rows], dtype=float)
        highs = np.array([row[2] for row in self.rows], dtype=float)
        return [LinearConstraint(matrix, lows, highs)]


def narrowed(ledger: Ledger, boxes: dict) -> dict:
    """The unknowns whose reachable range is narrower than their box: key → (range, box).

    `boxes` maps an unknown to the range suppression itself reveals (low, high). A ledger with no
    solution at all (inconsistent published data) counts every box as narrowed, so the caller
    withholds rather than trusts it.

    Two joint solutions come first: one with every unknown as low as it goes (least Σ unknowns),
    one with every unknown as high as its box asks (greatest Σ min(unknown, box high)). An unknown
    that reaches its box's end in the joint solution reaches it alone, so only the others are
    asked one by one: with many boxes and few narrowed, two solves instead of two per box.
    """
    if not boxes:
        return {}
    lowest, highest = _joint_low(ledger, boxes), _joint_high(ledger, boxes)
    if lowest is None or highest is None:
        return {key: (None, box) for key, box in boxes.items()}
    result = {}
    for key, (low, high) in boxes.items():
        if lowest[key] <= low and highest[key] >= high:
            continue
        reach = ledger.range_of(key)
        if reach is None or reach[0] > low or reach[1] < high:
            result[key] = (reach, (low, high))
    return result


def _joint_low(ledger: Ledger, boxes: dict) -> dict | None:
    solved = ledger.optimum({key: 1 for key in boxes})
    return None if solved is None else {key: solved[1][ledger.index[key]] for key in boxes}


def _joint_high(ledger: Ledger, boxes: dict) -> dict | None:
    """Each unknown's value in one solution maximising Σ min(unknown, its box's high)."""
    joint = ledger.copy()
    for key, (_, high) in boxes.items():
        capped = joint.unknown(("joint high", key), -INFINITE, high)
        joint.relate({capped: 1, key: -1}, high=0)
    solved = joint.optimum({("joint high", key): -1 for key in boxes})
    return None if solved is None else {key: solved[1][joint.index[("joint high", key)]] for key in boxes}
