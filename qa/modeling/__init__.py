"""Model loading shared by every stage: Hugging Face models, the base encoder's parts."""
