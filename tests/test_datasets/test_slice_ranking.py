"""The label-free slice ranking (:mod:`elseg.datasets.slice_ranking`): its
pieces and the whole ranking on hand-made volumes."""
import numpy as np
import pytest

from elseg.datasets import slice_ranking as sr


def bar_volume(values):
    """(S, 2, 2) slices ``[[v, v], [0, 0]]``: thumbnail (v, v, 0, 0) at size
    2, RMS contrast v / 2, tissue fraction 1/2 when v > the volume mean."""
    return np.array([[[v, v], [0., 0.]] for v in values], np.float32)


# the two volumes of test_rank_slices_by_hand
VOL_A = [1, 1, .8, .5, .7, 1, 1]
VOL_B = [1, .6, 1.1, 1]
RANKED = ['A_frame01_slice_3', 'B_frame01_slice_3', 'A_frame01_slice_5',
          'B_frame01_slice_2', 'A_frame01_slice_4']


def test_tissue_fractions_and_covered_extent_by_hand():
    # volume mean (0 + 1 + 4) / 12 = 0.417: tissue pixels are the 1s
    vol = np.array([[[0, 0], [0, 0]], [[1, 0], [0, 0]], [[1, 1], [1, 1]]])
    np.testing.assert_allclose(sr.tissue_fractions(vol), [0, .25, 1])
    # bar = 0.5 x 1.0: indices 2 and 3 reach it
    assert sr.covered_extent([0, .25, 1, .6, .4]) == (2, 3)
    assert sr.covered_extent([0, .25, 1, .6, .4], 0.2) == (1, 4)
    assert sr.covered_extent([0, 0, 0]) == (0, 2)  # no tissue: whole stack
    for bad in (0, 1.5):
        with pytest.raises(ValueError, match=str(bad)):
            sr.covered_extent([1], bad)
    with pytest.raises(ValueError, match=r'\(2, 2\)'):
        sr.tissue_fractions(np.zeros((2, 2)))


def test_candidate_mask_is_the_middle_third_of_the_extent():
    # extent 0..6: positions k / 6; |p - 1/2| <= 1/6 for k = 2, 3, 4
    pos, mask = sr.candidate_mask(7, 0, 6)
    np.testing.assert_allclose(pos, np.arange(7) / 6)
    assert np.flatnonzero(mask).tolist() == [2, 3, 4]
    # extent 1..4 of 6 slices: positions (k - 1) / 3 -> k = 2 (1/3), 3 (2/3)
    assert np.flatnonzero(sr.candidate_mask(6, 1, 4)[1]).tolist() == [2, 3]
    # extent 1..2: positions 0 and 1 miss the band; the centre 1.5 -> 1
    assert np.flatnonzero(sr.candidate_mask(5, 1, 2)[1]).tolist() == [1]
    # one-slice extent: only that slice
    pos, mask = sr.candidate_mask(3, 1, 1)
    np.testing.assert_allclose(pos, [-.5, .5, 1.5])
    assert np.flatnonzero(mask).tolist() == [1]
    with pytest.raises(ValueError, match='lo=3'):
        sr.candidate_mask(3, 3, 1)


def test_percentile_ranks_and_thumbnails_by_hand():
    np.testing.assert_allclose(sr.percentile_ranks([3, 1, 2]), [1, 0, .5])
    np.testing.assert_allclose(
        sr.percentile_ranks([3, 1, 2], higher_is_better=False), [0, 1, .5])
    np.testing.assert_allclose(sr.percentile_ranks([7]), [1])
    # 4x4 -> 2x2 by area: the means of the 2x2 blocks
    img = np.arange(16, dtype=np.float32).reshape(1, 4, 4)
    np.testing.assert_allclose(sr.thumbnails(img, 2), [[2.5, 4.5, 10.5, 12.5]])
    with pytest.raises(ValueError, match='got 0'):
        sr.thumbnails(img, 0)


def test_rank_slices_by_hand():
    """A (7 slices, v = 1 1 .8 .5 .7 1 1) and B (4 slices, v = 1 .6 1.1 1):
    every slice's tissue fraction is 1/2, so each extent is the whole stack
    and the candidates are A's slices 3, 4, 5 (k = 2..4 of 0..6) and B's
    slices 2, 3 (positions 1/3, 2/3). The mean thumbnail's v is
    m = (6.0 + 3.7) / 11 = 0.8818 and a distance is sqrt(2)|v - m|:
    A3 .082, A5 .182, B3 .218, B2 .282, A4 .382, so the representativeness
    ranks are A3 1, A5 .75, B3 .5, B2 .25, A4 0; the contrasts v / 2 order
    B3, A3, A5, B2, A4: ranks 1, .75, .5, .25, 0. Scores (mean): A3 .875,
    B3 .75, A5 .625, B2 .25, A4 0. A's best beats B's best; round 2 takes
    A5 then B2."""
    vols = [('A_frame01', range(1, 8), bar_volume(VOL_A)),
            ('B_frame01', range(1, 5), bar_volume(VOL_B))]
    ranked = sr.rank_slices(iter(vols), descriptor_size=2)
    assert [s.slice_id for s in ranked] == RANKED
    by_id = {s.slice_id: s for s in ranked}
    m = 9.7 / 11
    for sid, v, score, pos in (('A_frame01_slice_3', .8, .875, 1 / 3),
                               ('B_frame01_slice_3', 1.1, .75, 2 / 3),
                               ('A_frame01_slice_5', .7, .625, 2 / 3),
                               ('B_frame01_slice_2', .6, .25, 1 / 3),
                               ('A_frame01_slice_4', .5, 0., 1 / 2)):
        s = by_id[sid]
        assert s.score == pytest.approx(score)
        assert s.position == pytest.approx(pos)
        assert s.contrast == pytest.approx(v / 2, rel=1e-6)
        assert s.distance == pytest.approx(np.sqrt(2) * abs(v - m), rel=1e-5)
    with pytest.raises(ValueError, match='twice'):
        sr.rank_slices(vols + vols[:1], descriptor_size=2)
    with pytest.raises(ValueError, match='No training volume'):
        sr.rank_slices([])


def test_dark_end_slices_leave_the_extent():
    """Six slices, the first and last black: tissue fractions 0 .5 .5 .5 .5
    0, extent 1..4, candidates k = 2, 3 (slice numbers 3, 4) although the
    stack's own middle third would also be k = 2, 3; with three black
    slices at the start (extent 3..5) only slice 5 (k = 4) is a candidate."""
    vol = bar_volume([0, 1, 1, 1, 1, 0])
    ranked = sr.rank_slices([('v', range(1, 7), vol)], descriptor_size=2)
    assert sorted(s.number for s in ranked) == [3, 4]
    vol = bar_volume([0, 0, 0, 1, 1, 1])
    ranked = sr.rank_slices([('v', range(1, 7), vol)], descriptor_size=2)
    assert [s.number for s in ranked] == [5]
