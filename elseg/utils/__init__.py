from .checkpoint import (AtomicLocalBackend, check_checkpoint_file,
                         register_safe_globals, setup_checkpoint_io)

__all__ = [
    'AtomicLocalBackend', 'check_checkpoint_file', 'register_safe_globals',
    'setup_checkpoint_io'
]
from .io import (AtomicTextFile, atomic_save_h5, atomic_save_npz,  # noqa
                 atomic_write_bytes, check_data_root, check_file_exists,
                 load_nifti, nifti_spacing_zyx, read_h5_array, read_h5_attr,
                 read_h5_shape, read_npz_array, remove_stale_temp_files,
                 save_nifti)

__all__ += [
    'AtomicTextFile', 'atomic_save_h5', 'atomic_save_npz',
    'atomic_write_bytes', 'check_data_root', 'check_file_exists', 'load_nifti',
    'nifti_spacing_zyx', 'read_h5_array', 'read_h5_attr', 'read_h5_shape',
    'read_npz_array', 'remove_stale_temp_files', 'save_nifti'
]
from .components import (anchor_ids, keep_anchored_components,  # noqa
                         keep_largest_component)

__all__ += ['anchor_ids', 'keep_anchored_components', 'keep_largest_component']
