#!/usr/bin/env bash
# Both readers in one run on a GPU machine with torch, transformers and peft but no network
# (this project's lent H200s):
#   1. the base reader (LoRA r32 over all-mpnet-base-v2) from scratch on SQuAD 1.1 train, the
#      abstain-train articles of SQuAD 2.0 dev part A (answerable and unanswerable questions,
#      three times), synthetic unanswerable and table questions; its no-answer rule and
#      threshold calibrated on the abstain-calibration articles (never trained on); measured on
#      the kept half and on dev part A without the abstain-train articles;
#   2. the fast reader (MiniLM-L6) distilled from it: the new base reader's start/end
#      distributions on 40,000 SQuAD train questions (+ null negatives, abstain-train, tables)
#      as soft targets, starting from the shipped fast reader; calibrated and measured the same way.
# Inputs: all-mpnet-base-v2 as bf16 xz pieces + config/tokenizer in $W (see
# gpu_train_base_reader.sh for how they are made); $DATA holds train-v1.1.json.xz,
# abstain-train.json, abstain-calibration.json, kept-half.json, dev-a-unseen.json
# (scripts/split_squad2.py), synthetic-unanswerable-3k.json, table-1500.json; $FAST the shipped
# fast reader's folder (weights may be bf16). Results go to $OUT as they are ready:
# base.tar.xz (adapter + reports), fast.tar.xz.N (15 MB pieces), summary.txt.
#   W=/tmp/w DATA=.dev/p4/data FAST=.dev/p4/fast OUT=$OUT scripts/gpu_retrain_readers.sh
# Getting the inputs there (a call's working tree is at most 64 MiB, and the machine keeps /tmp
# only while warm, 30 s between calls): move qa/models/reader/model.safetensors and
# qa/models/reader-base/adapter_model.safetensors out of the tree; call 1 carries .dev/p1 and runs
# `mkdir -p /tmp/w && cp .dev/p1/* /tmp/w/`, call 2 the same with .dev/p2, call 3 with .dev/p3
# (the last MPNet piece, config, tokenizer, sha256); put the fast reader's weights back (FAST is
# its folder) and call 4 carries .dev/p4 (data/, about 13 MB) and runs
# `W=/tmp/w DATA=.dev/p4/data FAST=qa/models/reader OUT=$OUT PHASE=base scripts/gpu_retrain_readers.sh`,
# call 5 at once the same with PHASE=fast. Then put the base adapter back.
# PHASE=base or PHASE=fast runs one part (fast needs base's files in $WORK: the same machine).
# SMOKE=1 DEVICE=cpu runs every step on a few examples (a check of the script, here).
set -euo pipefail
cd "$(dirname "$0")/.."
W=${W:-/tmp/w}
DATA=${DATA:-.dev/p4/data}
FAST=${FAST:-.dev/p4/fast}
OUT=${OUT:-/tmp/out}
DEVICE=${DEVICE:-cuda}
PHASE=${PHASE:-all}
BASE_MINUTES=${BASE_MINUTES:-4}
FAST_MINUTES=${FAST_MINUTES:-2}
MPNET=/tmp/mpnet-bf16
WORK=${WORK:-/tmp/retrain}
PY=${PY:-python3}
export HF_HUB_OFFLINE=1 PYTHONPATH=. PYTHONUNBUFFERED=1
if [ "${SMOKE:-0}" = 1 ]; then
  LIMIT=12; QUESTIONS=60; STEPS="--max-steps 2"; TRAIN_FILE=$DATA/abstain-train.json
else
  LIMIT=0; QUESTIONS=40000; STEPS=""; TRAIN_FILE=$WORK/train-v1.1.json
fi
qa() { $PY -c "from qa.apps.cli import main; import sys; sys.exit(main())" "$@"; }
train() { $PY -c "from qa.train.training import main; main()" "$@"; }
distill() { $PY -c "from qa.train.training import distill_targets_main; distill_targets_main()" "$@"; }
log() { echo "== $(date +%T) $*" | tee -a "$OUT/summary.txt"; }
limit() { [ "$LIMIT" = 0 ] && echo "--limit $1" || echo "--limit $LIMIT"; }
# the end of a reader's training log; its no-answer rule and threshold picked on the calibration
# articles; the kept half and dev part A without the abstain-train articles measured
calibrate_and_measure() {
  tr '\r' '\n' < "$OUT/$1-train.log" | grep -v '^ *$' | tail -n 3
  log "$1: calibrate"
  qa calibrate "$DATA/abstain-calibration.json" --reader "$WORK/$1" $(limit 5000) | tee -a "$OUT/summary.txt"
  log "$1: measure"
  qa eval "$DATA/kept-half.json" --mode reader --reader "$WORK/$1" $(limit 5000) --out "$WORK/$1-kept.json" \
    | grep -v evaluating | tee -a "$OUT/summary.txt"
  qa eval "$DATA/dev-a-unseen.json" --mode reader --reader "$WORK/$1" $(limit 1500) --out "$WORK/$1-dev.json" \
    | grep -v evaluating | tee -a "$OUT/summary.txt"
}

mkdir -p "$MPNET" "$OUT" "$WORK"
log unpack
if [ ! -f "$MPNET/model.safetensors" ]; then
  cat "$W"/model.xz.* | $PY -c "import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.stdin.buffer), sys.stdout.buffer, 1 << 24)" \
    > "$MPNET/model.safetensors"
  cp "$W"/config.json "$W"/special_tokens_map.json "$W"/tokenizer.json "$W"/tokenizer_config.json "$W"/vocab.txt "$MPNET/"
  (cd "$MPNET" && sed 's#mpnet-bf16/##' "$W/mpnet-bf16.sha256" | sha256sum -c -)
fi
[ "${SMOKE:-0}" = 1 ] || [ -f "$TRAIN_FILE" ] || $PY -c "import lzma, shutil; shutil.copyfileobj(lzma.open('$DATA/train-v1.1.json.xz'), open('$TRAIN_FILE', 'wb'))"
nvidia-smi -L || true

export XZ_OPT="-T0 -1"
if [ "$PHASE" != fast ]; then
# 1. the base reader
log base: train
rm -rf "$WORK/base"
train "$TRAIN_FILE" "$DATA/abstain-train.json" "$DATA/abstain-train.json" "$DATA/abstain-train.json" \
  "$DATA/synthetic-unanswerable-3k.json" "$DATA/table-1500.json" --out "$WORK/base" --base "$MPNET" \
  --lora 32 --neg-ratio 0.2 --lr 5e-4 --question-noise 0.1 --epochs 2 --batch-size 64 \
  --max-minutes "$BASE_MINUTES" --checkpoint-every 1000 --device "$DEVICE" $STEPS > "$OUT/base-train.log" 2>&1
calibrate_and_measure base
# the adapter applies to all-mpnet-base-v2 wherever it is installed: record the alias, not /tmp
$PY - "$WORK/base" <<'EOF'
import json, pathlib, sys
p = pathlib.Path(sys.argv[1]) / "adapter_config.json"
p.write_text(json.dumps(json.loads(p.read_text()) | {"base_model_name_or_path": "mpnet"}, indent=2))
EOF
mkdir -p "$WORK/base-export"
cp "$WORK"/base/{adapter_config.json,adapter_model.safetensors,config.json,qa_reader.json,training_args.json,train_log.jsonl} \
  "$WORK"/base-kept.json "$WORK"/base-dev.json "$OUT/base-train.log" "$WORK/base-export/"
tar cJf "$OUT/base.tar.xz" -C "$WORK" base-export
# the teacher runs on this machine: its base is here
$PY - "$WORK/base" "$MPNET" <<'EOF'
import json, pathlib, sys
p = pathlib.Path(sys.argv[1]) / "adapter_config.json"
p.write_text(json.dumps(json.loads(p.read_text()) | {"base_model_name_or_path": sys.argv[2]}, indent=2))
EOF

fi
[ "$PHASE" != base ] || { log done; ls -la "$OUT"; exit 0; }

# 2. the fast reader, distilled from the new base reader
log fast: teacher targets
rm -f "$WORK/targets.jsonl" "$WORK/targets.jsonl.teacher"
distill "$TRAIN_FILE" "$DATA/abstain-train.json" "$DATA/table-1500.json" --teacher "$WORK/base" \
  --out "$WORK/targets.jsonl" --max-questions "$QUESTIONS" --neg-ratio 0.2 --seed 11 2>&1 | tr '\r' '\n' | tail -n 2
log fast: train
rm -rf "$WORK/fast"
train "$TRAIN_FILE" "$DATA/abstain-train.json" "$DATA/table-1500.json" --out "$WORK/fast" --base "$FAST" \
  --teacher "$WORK/targets.jsonl" --max-questions "$QUESTIONS" --neg-ratio 0.2 --seed 11 --lr 5e-5 \
  --question-noise 0.1 --epochs 2 --batch-size 64 --max-minutes "$FAST_MINUTES" --checkpoint-every 1000 \
  --device "$DEVICE" $STEPS > "$OUT/fast-train.log" 2>&1
calibrate_and_measure fast
cp "$WORK"/fast-kept.json "$WORK"/fast-dev.json "$OUT/fast-train.log" "$WORK/fast/"
rm -rf "$WORK/fast/checkpoint"
tar cJf - -C "$WORK" fast | split -b 15000000 -d -a 1 - "$OUT/fast.tar.xz."
log done
ls -la "$OUT"
