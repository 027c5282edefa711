from .eval_progress_bar_hook import EvalProgressBarHook

from .exemplar_two_stage_hook import ExemplarTwoStageHook
__all__ = ['ExemplarTwoStageHook', 'EvalProgressBarHook']
