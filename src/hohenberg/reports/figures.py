"""Writing matplotlib figures: PNG written atomically, figure closed."""

from __future__ import annotations

from pathlib import Path


def save_figure(fig, path: str | Path, dpi: int = 110, tight: bool = True) -> Path:
    """Save ``fig`` as PNG via a temp file + rename (no half-written image), then close it."""
    import matplotlib.pyplot as plt

    if tight:
        fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=dpi)
    plt.close(fig)
    tmp.replace(path)
    return path
