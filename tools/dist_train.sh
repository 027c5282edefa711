#!/usr/bin/env bash
# Distributed training over torchrun: tools/dist_train.sh CONFIG NUM_PROCS [train.py args]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR, PORT on every node.
CONFIG=$1
GPUS=$2
shift 2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
cd "$(dirname "$0")/.." || exit 1
exec python -m torch.distributed.run \
    --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" --master_port="$PORT" \
    tools/train.py "$CONFIG" --launcher pytorch "$@"
