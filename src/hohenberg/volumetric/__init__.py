"""Volumetric deep learning: 3D CNNs on density grids (blocks, encoders, augmentation, models)."""
