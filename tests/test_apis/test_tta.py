"""flip_tta_pipeline + SegTTAModel = the mean of un-flipped softmax maps."""
import pytest
import torch
from mmengine.dataset import Compose, pseudo_collate

META = ('img_path', 'ori_shape', 'img_shape', 'flip', 'flip_direction',
        'volume_id', 'slice_idx', 'num_slices')
PIPELINE = [
    dict(type='LoadMedicalSlice', load_label=False),
    dict(type='Resize', scale=(48, 32), keep_ratio=False),
    dict(type='LoadMedicalSlice', load_image=False, num_classes=4),
    dict(type='PackSegInputs', meta_keys=META),
]


def test_pipeline_structure_and_errors():
    from elseg.apis import flip_tta_pipeline
    out = flip_tta_pipeline(PIPELINE)
    assert out[0] == PIPELINE[0] and out[1]['type'] == 'TestTimeAug'
    stages = out[1]['transforms']
    assert [s[0]['type'] for s in stages] == [
        'Resize', 'RandomFlip', 'LoadMedicalSlice', 'PackSegInputs']
    # identity + two flips, placed before the label is loaded
    assert [(f['prob'], f['direction']) for f in stages[1]] == [
        (0.0, 'horizontal'), (1.0, 'horizontal'), (1.0, 'vertical')]
    # no separate label step: flips go before the pack transform
    short = flip_tta_pipeline([PIPELINE[0], PIPELINE[1], PIPELINE[3]])
    assert [s[0]['type'] for s in short[1]['transforms']] == [
        'Resize', 'RandomFlip', 'PackSegInputs']
    with pytest.raises(ValueError, match='at least a load'):
        flip_tta_pipeline(PIPELINE[:1])
    with pytest.raises(ValueError, match="Unknown flip direction.*'up'"):
        flip_tta_pipeline(PIPELINE, directions=('up', ))
    with pytest.raises(ValueError, match='two-step test pipeline'):
        flip_tta_pipeline([dict(type='LoadMedicalSlice'), PIPELINE[3]])
    with pytest.raises(ValueError, match='already has a TestTimeAug'):
        flip_tta_pipeline(out)


def test_tta_prediction_equals_hand_average(phantom_root, tiny_model):
    """SegTTAModel on the TTA pipeline = argmax of the mean of softmax maps
    of the plain, h-flipped and v-flipped inputs, each flipped back by hand."""
    import elseg  # noqa: F401  (registers LoadMedicalSlice)
    from mmseg.models import SegTTAModel
    from mmseg.utils import register_all_modules

    from elseg.apis import flip_tta_pipeline
    from elseg.datasets import ACDCDataset
    register_all_modules(init_default_scope=True)
    ds = ACDCDataset(data_root=str(phantom_root), mode='volumes',
                     pipeline=[], test_mode=True, ids=['patient003_frame01'])
    info = ds.get_data_info(3)
    tta_item = Compose(flip_tta_pipeline(PIPELINE))(dict(info))
    plain_item = Compose(PIPELINE)(dict(info))
    model = tiny_model
    tta = SegTTAModel(module=model).eval()
    with torch.no_grad():
        pred = tta.test_step(pseudo_collate([tta_item]))[0]
        probs = []
        for dims in ((), (-1, ), (-2, )):  # none, horizontal, vertical
            img = plain_item['inputs']
            img = torch.flip(img, dims) if dims else img
            out = model.test_step(dict(inputs=[img], data_samples=[
                plain_item['data_samples']]))[0]
            logits = out.seg_logits.data  # at the original size
            logits = torch.flip(logits, dims) if dims else logits
            probs.append(logits.softmax(0))
    expected = torch.stack(probs).mean(0).argmax(0)
    got = pred.pred_sem_seg.data.squeeze(0)
    assert got.shape == (64, 64)  # the phantom's slice size, not 32 x 48
    assert torch.equal(got, expected)
    # the flips change the prediction somewhere (the check is not vacuous)
    assert not torch.equal(probs[0].argmax(0), expected)
    # the ground truth is the unflipped label at the original size
    assert torch.equal(pred.gt_sem_seg.data,
                       plain_item['data_samples'].gt_sem_seg.data)
