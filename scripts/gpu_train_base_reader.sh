#!/usr/bin/env bash
# The base reader in one run on a GPU machine that has torch, transformers and peft but no
# network (this project's lent H200s). All-mpnet-base-v2 travels as bf16 weights, xz-compressed
# and split (model.xz.0, .1, ...), with its config and tokenizer files, in $W; the training
# files in $DATA. Writes the adapter (LoRA rank 32 + span head) and its logs to $OUT.
#   W=/tmp/w DATA=.dev/p3/data MINUTES=7 scripts/gpu_train_base_reader.sh
# Preparing the pieces here (the folder is from qa.modeling.base_encoder.mpnet_dir()):
#   python -c "from safetensors.torch import load_file as l, save_file as s; import torch; \
#     s({k: v.to(torch.bfloat16) if v.is_floating_point() else v for k, v in l('MPNET/model.safetensors').items()}, \
#     'mpnet-bf16/model.safetensors', metadata={'format': 'pt'})"
#   sha256sum mpnet-bf16/model.safetensors > mpnet-bf16.sha256
#   xz -1 -c mpnet-bf16/model.safetensors | split -b 60000000 -d -a 1 - model.xz.
#   python scripts/make_table_questions.py 1500 table-1500.json; xz -c train-v1.1.json > train-v1.1.json.xz
# On an H200: 118,956 windows, 3,718 steps of 64 in 350 s. The same steps on 2 CPU cores take
# about 15 hours; scripts/train_base_reader.sh is the staged CPU recipe.
set -euo pipefail
cd "$(dirname "$0")/.."
W=${W:-/tmp/w}
DATA=${DATA:-.dev/p3/data}
MINUTES=${MINUTES:-5}
OUT=${OUT:-/tmp/out}
BASE=/tmp/mpnet-bf16
PY=${PY:-python3}
export HF_HUB_OFFLINE=1 PYTHONPATH=. PYTHONUNBUFFERED=1

mkdir -p "$BASE" "$OUT"
cat "$W"/model.xz.* | $PY -c "import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.stdin.buffer), sys.stdout.buffer, 1 << 24)" \
  > "$BASE/model.safetensors"
cp "$W"/config.json "$W"/special_tokens_map.json "$W"/tokenizer.json "$W"/tokenizer_config.json "$W"/vocab.txt "$BASE/"
(cd "$BASE" && sed 's#mpnet-bf16/##' "$W/mpnet-bf16.sha256" | sha256sum -c -)
$PY -c "import lzma, shutil, sys; shutil.copyfileobj(lzma.open('$DATA/train-v1.1.json.xz'), open('/tmp/train-v1.1.json', 'wb'))"
nvidia-smi -L || true
$PY -c "import torch, transformers, peft; print('torch', torch.__version__, 'transformers', transformers.__version__, 'peft', peft.__version__)"

# SQuAD 1.1 train (all of it) with null negatives, the SQuAD 2.0 train half's unanswerable
# questions, synthetic table questions; typed-variant noise; two epochs, or what fits MINUTES
rc=0
$PY -c "from qa.train.training import main; main()" /tmp/train-v1.1.json "$DATA/train-half-unanswerable.json" \
  "$DATA/table-1500.json" --out /tmp/run --base "$BASE" --lora 32 --neg-ratio 0.2 --lr 5e-4 \
  --question-noise 0.1 --epochs 2 --batch-size 64 --max-minutes "$MINUTES" --checkpoint-every 500 \
  --device "${DEVICE:-cuda}" ${EXTRA:-} > "$OUT/train.log" 2>&1 || rc=$?
tr '\r' '\n' < "$OUT/train.log" | grep -v '^ *$' | awk 'NR % 200 == 1' | tail -n 15
tr '\r' '\n' < "$OUT/train.log" | grep -v '^ *$' | tail -n 8
[ $rc = 0 ] || exit $rc
# the adapter applies to all-mpnet-base-v2 wherever it is installed: record the alias, not /tmp
$PY - <<'EOF'
import json, pathlib
p = pathlib.Path("/tmp/run/adapter_config.json")
p.write_text(json.dumps(json.loads(p.read_text()) | {"base_model_name_or_path": "mpnet"}, indent=2))
EOF
cp /tmp/run/adapter_config.json /tmp/run/adapter_model.safetensors /tmp/run/training_args.json \
  /tmp/run/train_log.jsonl "$OUT/"
ls -la "$OUT"
