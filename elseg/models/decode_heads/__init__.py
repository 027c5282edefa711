from .mlds_head import MLDSHead, mlds_multilabel_targets
__all__ = ['MLDSHead', 'mlds_multilabel_targets']
