# ELNet on ACDC within a CPU budget (both stages in < 40 min on 2 cores).
# Differs from the paper config (elnet/acdc.py): mmseg UNet base 16 (1.9M params)
# instead of MT-UNet, 128x128 input instead of 224x224, batch 8, lr 1e-3,
# 2000 + 2000 iterations.
_base_ = ['./acdc_unet.py']
crop_size = (128, 128)
stage1_iters = 2000
max_iters = 4000
train_dataloader = dict(batch_size=8, dataset=dict(scale=crop_size))
test_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadMedicalSlice'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='PackSegInputs', meta_keys=('img_path', 'ori_shape', 'img_shape',
                                          'volume_id', 'slice_idx', 'num_slices',
                                          'spacing'))
]))
val_dataloader = test_dataloader
