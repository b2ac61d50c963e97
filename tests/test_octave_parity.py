"""The seven shallow methods against their authors' code under GNU Octave on three
uci-mfeat view pairs (pix/fou, fac/kar, kar/fou), at each code length and in both
directions (``octave_runs``): the mean over seeds 0-2 is within 0.02 of the Octave mean
over its seeds, or inside their range (the random streams differ, so runs are compared
as distributions).

Each case is a method scored as the Octave run scored it: DLFH, MTFH and LSSH under
their native protocol (learnt training codes, unified database codes); FOMH as the
cross-modal adaptation of a multi-modal method (``fomh``, the suite's protocol) and
under its native, fused protocol (``fomh-fused``, against ``queryFOMH.m``'s codes);
the others under the suite's, which is their code's own. Where the code has a quirk
the suite does not copy by default, the run reproduces it: CMFH as the toolbox copy
(``variant="toolbox"``, its operator precedence; the default follows the paper and
scores higher, ``test_cmfh.py``), MTFH with the code's partial column sweeps
(``variant="code"``; the default's full sweeps optimise further and score 0.967 /
0.852 at 32 bits and 0.968 / 0.869 at 64 on pix/fou against Octave's seed-0 0.970 /
0.817 and 0.946 / 0.834).

CI runs pix/fou for the fast cases, DLFH and FSH on the other two pairs, and one
length of LSSH and MTFH (15-55 s a cell); the rest runs with ``--fidelity``. The
cells outside the band are strict xfails (``KNOWN``, each with its numbers), so they
are noticed when they move:

- LSSH image->text at 32 bits on fac/kar: 0.547 against Octave seeds 0-4 at 0.574
  (0.553-0.591); the suite's seeds 0-19 average 0.556 (sd 0.015, 0.538-0.588; Welch
  p about 0.07 against the five Octave runs, their sd taken from their range),
  text->image and the other lengths agree; not explained yet. More Octave seeds
  would settle it as they did for FOMH, DLFH and CMFH, but one LSSH run takes about
  an hour under Octave.

Where the suite's seeds 0-2 met the end of five Octave seeds, twenty settle it
(``octave_runs``): FOMH at 32 bits on pix/fou (Octave's seeds 0-4 0.658 / 0.667 were
the high end; seeds 0-19 0.643 / 0.654, the suite's seeds 0-2 0.63 / 0.64), DLFH at
16 bits on pix/fou (0.813 / 0.701; the suite's 0.808 / 0.712) and CMFH at 16 bits on
fac/kar (0.497 / 0.494; 0.515 / 0.514). Over seeds 0-19 on both sides no difference
shows (Welch p from 0.33 to 0.95).

LSSH at 16 bits agrees on the three pairs against Octave seeds 0-4 (the toolbox's
start switch, ``octave_runs``); one fixed-start run fell outside on each.

MTFH's code variant at 16 bits agrees on the three pairs although its seed 1 ends
text->image at 0.59-0.63: the first stage depends on the labels and the seed alone,
and 15% of its starts end in a poor state, in the authors' code as in the suite's
(Octave's seeds 6 and 7 among seeds 0-9; ``octave_runs``).
"""

from __future__ import annotations

import pytest
from octave_runs import OCTAVE, disagreements
from uci_scores import uci_mfeat_maps

from cmhbench.protocols import Protocol
from cmhbench.registry import get_method

#: case: (method, settings, protocol) as the Octave runs had them.
CASES: dict[str, tuple[str, dict[str, str], Protocol]] = {
    "cmfh": ("cmfh", {"variant": "toolbox"}, "suite"),
    "fsh": ("fsh", {}, "suite"),
    "dch": ("dch", {}, "suite"),
    "dlfh": ("dlfh", {}, "native"),
    "fomh": ("fomh", {"order": "given"}, "suite"),
    "fomh-fused": ("fomh", {"order": "given"}, "native"),
    "lssh": ("lssh", {}, "native"),
    "mtfh": ("mtfh", {"variant": "code"}, "native"),
}
EXPENSIVE = {"lssh", "mtfh"}
#: (case, pair, bits): why the mean over seeds 0-2 falls outside the band (strict xfail).
KNOWN = {
    ("lssh", "fac-kar", 32): "image->text 0.550, 0.538, 0.554 (seeds 0-19: 0.556, sd "
    "0.015, 0.538-0.588) vs Octave seeds 0-4 at 0.574 (0.553-0.591; Welch p about 0.07 "
    "with Octave's sd from its range); text->image and 64 bits agree; not explained yet",
}


def _cells(cases: list[str], pairs: list[str], marks: list[pytest.MarkDecorator]) -> list:
    cells = []
    for case in cases:
        for pair in pairs:
            for bits in OCTAVE[pair].get(case, {}).get("i2t", {}):
                known = KNOWN.get((case, pair, bits))
                extra = [pytest.mark.xfail(strict=True, reason=known)] if known else []
                name = f"{case}-{pair}-{bits}"
                cells.append(pytest.param(case, pair, bits, marks=[*marks, *extra], id=name))
    return cells


def _check(
    case: str,
    bits: int,
    pair: str = "pix-fou",
    seeds: tuple[int, ...] = (0, 1, 2),
    settings: dict | None = None,
) -> None:
    """Train ``case`` as the Octave run had it (or with ``settings``) and compare."""
    name, chosen, protocol = CASES[case]
    settings = chosen if settings is None else settings
    cls = get_method(name)
    runs = [uci_mfeat_maps(cls(bits, **settings), seed, protocol, pair) for seed in seeds]
    assert disagreements(case, bits, runs, pair) == []


CHEAP = [case for case in CASES if case not in EXPENSIVE]
OTHER_PAIRS = ["fac-kar", "kar-fou"]
IN_CI_ON_OTHER_PAIRS = ["dlfh", "fsh"]


@pytest.mark.parametrize(("case", "pair", "bits"), _cells(CHEAP, ["pix-fou"], [pytest.mark.slow]))
def test_each_code_length_agrees_with_the_authors_code(case, pair, bits):
    _check(case, bits, pair)


@pytest.mark.parametrize(
    ("case", "pair", "bits"),
    [
        *_cells(sorted(EXPENSIVE), ["pix-fou"], [pytest.mark.slow, pytest.mark.fidelity]),
        *_cells(
            [case for case in CASES if case not in IN_CI_ON_OTHER_PAIRS],
            OTHER_PAIRS,
            [pytest.mark.slow, pytest.mark.fidelity],
        ),
    ],
)
def test_each_code_length_agrees_with_the_authors_code_on_every_pair(case, pair, bits):
    """The slow methods on pix/fou, and the other cases on two more view pairs (about
    25 min on 2 cores in all, so with ``--fidelity``)."""
    _check(case, bits, pair)


@pytest.mark.parametrize(
    ("case", "pair", "bits"), _cells(IN_CI_ON_OTHER_PAIRS, OTHER_PAIRS, [pytest.mark.slow])
)
def test_each_code_length_agrees_on_two_more_pairs_in_ci(case, pair, bits):
    """DLFH (its training codes depend on the labels alone, so on kar/fou its
    text->image repeats pix/fou's, fou being the text) and FSH, within CI's time."""
    _check(case, bits, pair)


@pytest.mark.slow
def test_fomh_in_its_shuffled_order_agrees_as_in_the_given_one():
    """The default order (seeded, see ``methods/fomh.py``) against the same Octave runs."""
    for bits in (16, 32, 64, 128):
        _check("fomh", bits, settings={})


@pytest.mark.slow
@pytest.mark.parametrize(
    ("case", "bits", "seeds", "settings"),
    [("lssh", 32, (0,), None), ("mtfh", 16, (0, 1, 2), {})],
)
def test_one_code_length_of_the_slow_methods_agrees_in_ci(case, bits, seeds, settings):
    """LSSH at 32 bits, seed 0 (against Octave's one fixed-start run there); MTFH's
    default at 16 bits, seeds 0-2, which lands within 0.01 of Octave's seeds 0-4."""
    _check(case, bits, seeds=seeds, settings=settings)
