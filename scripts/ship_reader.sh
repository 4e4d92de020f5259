#!/usr/bin/env bash
# After `qa train-reader ... --out RUN` finishes: copy the model into the package, calibrate its
# no-answer threshold on dev part A, and measure it (reader mode, then open mode over the articles).
# Usage: scripts/ship_reader.sh RUN_DIR [DEV_JSON]
set -euo pipefail
run=$1
dev=${2:-../shared/qa-data/squad-v1.1/dev-v1.1-part-a.json}
dest=qa/models/reader
mkdir -p "$dest" reports
rm -f "$dest"/*.safetensors "$dest"/qa_reader.json "$dest"/training_args.json
cp "$run"/{config.json,model.safetensors,tokenizer.json,tokenizer_config.json,training_args.json} "$dest"/
qa calibrate "$dev" --reader "$dest" --limit 2000 | tee reports/calibration.json
qa eval "$dev" --mode reader --out reports/reader-dev-a.json | grep -v evaluating
if [ ! -d reports/dev-a-index ]; then
  python bench/squad_articles.py "$dev" reports/dev-a-articles
  qa index reports/dev-a-articles --index reports/dev-a-index
fi
qa eval "$dev" --mode open --index reports/dev-a-index --top-k 5 --out reports/open-dev-a.json | grep -v evaluating
