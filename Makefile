# The two commands of README's Quick start. Both install first (idempotent).
PYTHON ?= python3
DEMO_DIR ?= work_dirs/demo

.PHONY: install demo test

install:
	PYTHON=$(PYTHON) bash tools/install.sh

# ELNet on the built-in cardiac phantom: stage 1, pseudo labels, stage 2, DSC/HD95 table.
demo: install
	$(PYTHON) tools/make_phantom.py data/acdc_phantom
	$(PYTHON) tools/train.py configs/elnet/demo_phantom.py --work-dir $(DEMO_DIR)
	$(PYTHON) tools/test.py configs/elnet/demo_phantom.py "$$(cat $(DEMO_DIR)/last_checkpoint)" --work-dir $(DEMO_DIR)/test

test: install
	PYTHON=$(PYTHON) bash tools/run_tests.sh
