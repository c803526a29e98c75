"""Training and evaluation runs: splits in, fitted models and measured errors out."""
