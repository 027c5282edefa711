# Exemplar-learning training data on Synapse (TransUNet layout), shared by ELNet and
# the baselines: one exemplar slice showing all 8 organs + ESM synthetic + (stage 2)
# pseudo-labelled unlabelled slices (ExemplarLearningDataset, docs/design.md).
_base_ = ['./synapse.py']
train_pipeline = [
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
        # the paper's rule on the TransUNet layout: a random slice showing all 8 organs
        exemplar=dict(rule='random', seed=0, num_classes=9, split_list='train.txt',
                      slice_dir='train_npz', suffix='.npz'),
        scale={{_base_.crop_size}},
        num_classes=9,
        synthesis=dict(type='ExemplarSynthesis'),
        stream_ratios=dict(
            stage1=dict(exemplar=1, synthetic=3),
            stage2=dict(exemplar=1, synthetic=3, unlabeled=2)),
        backgrounds=dict(
            stage1=dict(black=1, exemplar_inpainted=1),
            stage2=dict(black=1, exemplar_inpainted=1, unlabeled_inpainted=2)),
        pipeline=train_pipeline))
