from .checkpoint import (AtomicLocalBackend, atomic_write_bytes,
                         check_checkpoint_file, register_safe_globals,
                         setup_checkpoint_io)

__all__ = [
    'AtomicLocalBackend', 'atomic_write_bytes', 'check_checkpoint_file',
    'register_safe_globals', 'setup_checkpoint_io'
]
from .io import (atomic_save_h5, atomic_save_npz, check_data_root,  # noqa
                 check_file_exists,
                 load_nifti, nifti_spacing_zyx, read_h5_array, read_h5_attr,
                 read_h5_shape, read_npz_array, save_nifti)

__all__ += [
    'atomic_save_h5', 'atomic_save_npz', 'check_data_root',
    'check_file_exists', 'load_nifti',
    'nifti_spacing_zyx', 'read_h5_array', 'read_h5_attr', 'read_h5_shape',
    'read_npz_array', 'save_nifti'
]
from .components import (anchor_ids, keep_anchored_components,  # noqa
                         keep_largest_component)

__all__ += ['anchor_ids', 'keep_anchored_components', 'keep_largest_component']
