# Exemplar-learning training data on ACDC, shared by ELNet and the baselines: one
# exemplar + ESM synthetic + (stage 2) pseudo-labelled unlabelled slices, wrapped by
# ExemplarLearningDataset (docs/design.md). Baselines change stream_ratios only.
_base_ = ['./acdc.py']
train_pipeline = [
    # the paper's augmentation: random rotation and flipping (Sec. 4.1)
    dict(type='SegRotFlip', rotate_prob=0.5, flip_prob=0.5, degree=(-20, 20)),
    dict(type='PackSegInputs', meta_keys={{_base_.meta_keys}}),
]
train_dataloader = dict(
    batch_size=12,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='ExemplarLearningDataset',
        dataset={{_base_.train_slices_dataset}},
        # the paper's rule: a random slice showing every class, seeded; or a slice
        # id, or dict(file=...) written by tools/select_exemplar.py
        exemplar=dict(rule='random', seed=0),
        scale={{_base_.crop_size}},
        num_classes=4,
        synthesis=dict(type='ExemplarSynthesis'),
        stream_ratios=dict(
            stage1=dict(exemplar=1, synthetic=3),
            stage2=dict(exemplar=1, synthetic=3, unlabeled=2)),
        backgrounds=dict(
            stage1=dict(black=1, exemplar_inpainted=1),
            stage2=dict(black=1, exemplar_inpainted=1, unlabeled_inpainted=2)),
        pipeline=train_pipeline))
