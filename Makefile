# The commands of README's Quick start (install first, idempotent), and the ACDC data link.
PYTHON ?= python3
DEMO_DIR ?= work_dirs/demo
# The folder holding a copy of ACDC (SSL4MIS layout), for `make data/ACDC`.
SHARED_DATA ?= ../shared/data

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

# The configs read ACDC from data/ACDC: link an existing copy there.
data/ACDC:
	@test -f "$(SHARED_DATA)/ACDC/train_slices.list" || { echo "Error: no ACDC copy at $(SHARED_DATA)/ACDC (train_slices.list missing); run make data/ACDC SHARED_DATA=/folder/holding/ACDC" >&2; exit 2; }
	mkdir -p data
	ln -s "$(abspath $(SHARED_DATA))/ACDC" data/ACDC
