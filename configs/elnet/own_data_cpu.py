# The CHAOS recipe (elnet-consistency_unet-b16_128x128_chaos_cpu.py: ELNet + consistency
# after stage 1, UNet base 16, 128x128, 4000 iterations, no horizontal flips; plain
# ELNet: base on ./elnet_unet-b16_128x128_chaos_cpu.py instead) on YOUR NIfTI volumes,
# converted with
#   python tools/convert_nifti.py my_scans --out data/mine --modality MRI \
#       --classes liver=1 spleen=2 --exemplar-label my_scans/label_3.nii.gz --val-ids 7
# which writes data/mine/exemplar.json (the one annotated slice). Edit the two lines
# below: data_root = the --out folder, num_classes = 1 + the number of --classes.
# No labelled validation scans? Add
#   --cfg-options val_cfg=None val_dataloader=None val_evaluator=None
# to tools/train.py. Organs with a left/right twin: see configs/ablations/laterality/
# (chaos_cpu_flip_swap.py: flips that swap their labels; chaos_cpu_flip.py).
_base_ = ['./elnet-consistency_unet-b16_128x128_chaos_cpu.py']
data_root = 'data/mine'
num_classes = 3
model = dict(decode_head=dict(num_classes=num_classes))
train_dataloader = dict(dataset=dict(
    dataset=dict(data_root=data_root),
    exemplar=dict(_delete_=True, file=data_root + '/exemplar.json'),
    num_classes=num_classes))
test_pipeline = [
    dict(type='LoadMedicalSlice', load_label=False),
    dict(type='Resize', scale={{_base_.crop_size}}, keep_ratio=False),
    dict(type='LoadMedicalSlice', load_image=False, num_classes=num_classes),
    dict(type='PackSegInputs', meta_keys={{_base_.meta_keys}}),
]
val_dataloader = dict(dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='MedicalVolumeMetric')
test_evaluator = val_evaluator
