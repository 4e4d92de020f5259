"""Training readers: fine-tuning, LoRA, distillation."""
