# Exemplar-learning training data on CHAOS (ExemplarLearningDataset, docs/design.md):
# one exemplar slice showing all 4 organs + ESM synthetic + (stage 2) pseudo-labelled
# unlabelled slices.
# Laterality: abdominal organs have a side (right kidney / left kidney, liver / spleen)
# that the network can learn from where they lie; horizontal flips (the paper's ESM
# and SSL4MIS augmentation) destroy that cue. Here neither ESM nor SegRotFlip flips
# (SegRotFlip keeps its +-20 degree rotations); the configs' pseudo-labelling hook
# must then not flip either (ExemplarTwoStageHook(flip=False), see
# elnet/elnet_unet-b16_128x128_chaos_cpu.py). The laterality ablations and their
# results: configs/ablations/laterality/ (chaos_cpu_flip.py: flips, labels kept, the
# paper; chaos_cpu_flip_swap.py: flips that swap the kidney labels).
_base_ = ['./chaos.py']
train_pipeline = [
    dict(type='SegRotFlip', rotate_prob=0.5, flip_prob=0.0, degree=(-20, 20)),
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
        # the paper's rule: a random slice showing all 4 organs, seeded (the class
        # count comes from the dataset)
        exemplar=dict(rule='random', seed=0),
        scale={{_base_.crop_size}},
        num_classes=5,
        synthesis=dict(type='ExemplarSynthesis', flip_prob=0.0),
        stream_ratios=dict(
            stage1=dict(exemplar=1, synthetic=3),
            stage2=dict(exemplar=1, synthetic=3, unlabeled=2)),
        backgrounds=dict(
            stage1=dict(black=1, exemplar_inpainted=1),
            stage2=dict(black=1, exemplar_inpainted=1, unlabeled_inpainted=2)),
        pipeline=train_pipeline))
