# Weak-to-strong consistency on the unlabelled slices (FixMatch / UniMatch, see
# ConsistencyEncoderDecoder), as plain variables a leaf merges into its `model`:
# `model = dict(type='ConsistencyEncoderDecoder', consistency={{_base_.consistency}})`.
# Values are UniMatch's (CVPR 2023, its ACDC settings) unless noted; none is
# tuned on the val volumes.
consistency = dict(
    conf_thresh=0.95,        # UniMatch ACDC threshold
    num_strong=2,            # two strong views (UniMatch's "dual" stream)
    strong=dict(             # grayscale counterpart of UniMatch's colour jitter
        jitter_prob=0.8, gamma_range=(0.5, 2.0), contrast_range=(0.5, 1.5),
        brightness_range=(-0.2, 0.2), blur_prob=0.5,
        blur_sigma_range=(0.1, 2.0), noise_prob=0.5,
        noise_std_range=(0.0, 0.1)),
    cutmix_prob=0.5, cutmix_area=(0.02, 0.4), cutmix_ratio=(0.3, 1 / 0.3),
    fp=True, fp_dropout=0.5,
    # 'auto': mmseg UNet -> dropout on every encoder feature (the bottleneck's
    # output and the skip input of each decoder block), as UniMatch's UNet;
    # MTUNet -> its bottleneck's output; other backbones -> the head's input
    fp_modules='auto',
    strong_weight=0.5, fp_weight=0.5,  # UniMatch: 0.25 + 0.25 and 0.5
    cons_weight=1.0,         # labelled and unlabelled weighed equally
    rampup_iters=0,          # the threshold does the ramping
    loss_type='dice',        # UniMatch's medical unlabelled loss
    stages=(1, 2),
    ema_momentum=None)       # UniMatch predicts the weak view with the student
# the same, in stage 2 only (from N_s): the recommended recipe
consistency_after_stage1 = dict(consistency, stages=(2, ))
# the recommended ACDC recipe's: one strong view, no feature-perturbation stream
# (FixMatch's weak-to-strong pair, Sohn et al. NeurIPS 2020), in stage 2 only
consistency_one_view_after_stage1 = dict(consistency_after_stage1,
                                         num_strong=1, fp=False)
