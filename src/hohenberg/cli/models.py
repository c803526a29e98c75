"""``hohenberg predict``, ``hohenberg evaluate`` and ``hohenberg model info|upgrade``: one printer
for every model family (the work is :func:`hohenberg.load_model`'s predictor's)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Optional

import typer

from hohenberg.cli.output import console, err_console, print_json, print_table

JsonOpt = Annotated[bool, typer.Option("--json", metavar="", help="Print the results as JSON (units in the keys).")]

app = typer.Typer(help="Saved models: what a model directory holds, and upgrading older ones.", no_args_is_help=True)


def _title_of(rec: dict) -> str:
    """What a record is about: its name (or reaction, input, SMILES), formula and geometry source."""
    label = rec.get("name") or rec.get("reaction") or rec.get("input") or rec.get("smiles") or rec.get("formula") or "?"
    if rec.get("formula") and rec["formula"] != label:
        label += f" ({rec['formula']})"
    return label + (f"; geometry: {rec['geometry']}" if rec.get("geometry") else "")


def print_prediction(payload: dict, columns: list[str], records: list[dict], shown: int = 10) -> None:
    """The text form of a prediction: a table per record (value, sigma, unit), its warnings and
    errors, then what holds for the whole answer."""
    from hohenberg.models.metrics import target_label
    from hohenberg.units import split_unit

    def failed(rec):
        console.print(f"[red]error:[/] {rec.get('name') or rec.get('smiles')} (geometry {rec.get('geometry')}): "
                      f"{rec['error']}", highlight=False)

    for rec in records[:shown]:
        if rec.get("error"):
            failed(rec)
            continue
        rows = []
        for c in columns:
            sd = rec.get(f"{c}_std")
            rows.append((target_label(c), f"{rec[c]:.4f}", f"± {sd:.4f}" if sd is not None and math.isfinite(sd) else "-",
                         split_unit(c)[1] or ""))
        print_table(_title_of(rec), ["target", "value", "sigma", "unit"], rows)
        for w in rec.get("warnings", []):
            console.print(f"[yellow]outside the training domain:[/] {w}", highlight=False)
    if len(records) > shown:
        console.print(f"... {len(records) - shown} more: use --out FILE.csv or --json")
        for rec in records[shown:]:  # failures beyond the first ones are still each named
            if rec.get("error"):
                failed(rec)
    if payload.get("energies"):
        console.print(payload["energies"], highlight=False)
    if payload.get("density_source"):
        console.print(f"inputs: {', '.join(payload.get('channels', []))}; {payload['density_source']}", highlight=False)
    described = f"model {payload.get('model')}: {payload.get('model_type', payload.get('kind'))}"
    if payload.get("ensemble"):
        described += f", ensemble of {payload['ensemble']}"
    console.print(f"{described}; sigma: {payload.get('uncertainty', 'none')}", highlight=False)


def with_flags(exc, names) -> Exception:
    """``exc`` (an InputError from the library, which names options as Python does) with each of
    ``names`` spelled as the command line's flag."""
    from hohenberg.errors import InputError

    text = exc.message
    for name in names:
        text = text.replace(f"option {name}", f"option --{name}").replace(f"{name} must", f"--{name} must")
    return InputError(exc.path, text, exc.line)


def predict(
    inputs: Annotated[list[str], typer.Argument(metavar="[MODEL_DIR] INPUT...",
                                                help="SMILES strings or molecule files (.xyz, .extxyz, .sdf, .smi); "
                                                     "'A>>B' for a pair model; optionally after a model directory.")],
    model: Annotated[str, typer.Option("--model", "-m", help="A shipped model (qm9: graph ensemble; "
                                                             "qm9-promolecule-cnn: 3D CNN, no SCF; hkmap: densities) "
                                                             "or any model directory a `train` command wrote.")] = "qm9",
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write the predictions as CSV here.")] = None,
    workers: Annotated[Optional[int], typer.Option(help="Graph models: processes that build molecule graphs.")] = None,
    density: Annotated[Optional[str], typer.Option(help="Volumetric models that read a density: 'scf' (computed at the "
                                                        "training store's level), 'hkmap' (predicted by the shipped map, "
                                                        "no SCF) or 'hkmap:MODEL_DIR'.")] = None,
    tta: Annotated[Optional[int], typer.Option(help="Volumetric models: average over this many random orientations.")] = None,
    symmetries: Annotated[Optional[int], typer.Option(help="Hohenberg-Kohn maps: average over this many cube symmetries.")] = None,
    geometry: Annotated[Optional[str], typer.Option(help="Where 3D geometries come from: auto (keep given ones; SMILES "
                                                         "get ETKDG + MMFF94, then GFN2-xTB) | xtb (relax every "
                                                         "molecule with GFN2-xTB) | mmff (SMILES: ETKDG + MMFF94 only) "
                                                         "| given (refuse SMILES). Default: auto.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Predict with any model: the shipped QM9 model (13 targets, calibrated sigmas) by default, another
    shipped model by --model, or a model directory given first."""
    from hohenberg.errors import InputError
    from hohenberg.families import load_model

    if len(inputs) >= 2 and Path(inputs[0]).is_dir():
        model, inputs = inputs[0], inputs[1:]
    predictor = load_model(model)
    options = {"workers": workers, "density": density, "tta": tta, "symmetries": symmetries, "geometry": geometry}
    try:
        result = predictor.predict_result(inputs, **options)
    except InputError as exc:
        raise with_flags(exc, options) from None
    payload = result.to_dict()
    records = result.records
    if out is not None:
        from hohenberg.fileio import write_records_csv

        write_records_csv(out, [{**r, "warnings": "; ".join(r.get("warnings", []))} for r in records])
    for w in payload.get("warnings", []):
        err_console.print(f"[yellow]warning:[/] {w}", highlight=False)
    if json_out:
        print_json(payload)
    else:
        print_prediction(payload, list(result.columns), records)
    if records and all(r.get("error") for r in records):  # each failure was printed with its reason
        raise InputError(None, "no molecule could be given a geometry, so none was predicted")


def print_evaluation(payload: dict) -> None:
    from hohenberg.models.metrics import report_unit, target_label

    if "summary_table" in payload:  # a family whose errors are not per target (a density map)
        print_table(payload["title"], payload["summary_table"]["columns"], payload["summary_table"]["rows"])
        return
    rows = []
    for t, e in payload["errors"].items():
        if "accuracy" in e:
            rows.append((target_label(t), "accuracy / AUC", e["accuracy"], e.get("auc"), e["n"]))
            continue
        unit = report_unit(t)[0] or "target_unit"
        rows.append((target_label(t), unit, e[f"mae_{unit}"], e[f"rmse_{unit}"], e["n"]))
    print_table(payload["title"], ["target", "unit", "MAE", "RMSE", "n"], rows)
    if "attention" in payload:
        att = payload["attention"]
        print_table("attention over views (test molecules)", ["view", "mean weight", "std", "fraction top"],
                    [(v, a["mean_weight"], a["std_weight"], a["fraction_top"]) for v, a in att.items()])


def evaluate(
    model_dir: Annotated[str, typer.Argument(metavar="MODEL", help="A model directory any `train` command wrote, or a "
                                                                   "shipped model's name.")],
    data: Annotated[Path, typer.Argument(metavar="DATA", help="Graph and subgraph models: a table (.npz; subgraph: "
                                                              "or CSV). Volumetric models and maps: a store (or a table "
                                                              "for atom-rendered inputs). Pair and network models: a "
                                                              "network (with --table).")],
    table_path: Annotated[Optional[Path], typer.Option("--table", help="Volumetric, pair and network models: the "
                                                                       "table with the targets.")] = None,
    split: Annotated[str, typer.Option(help="test | val | train | all: the part of the model's own split "
                                            "(split.json).")] = "test",
    tta: Annotated[Optional[int], typer.Option(help="Volumetric models: average over this many random rotations.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Folder for evaluation.json (and parity.png, "
                                                                    "predictions.csv where the family draws them).")] = None,
    cache: Annotated[Optional[Path], typer.Option("--cache-dir", "--cache", help="Graph models: graph cache folder "
                                                                                 "(default: TABLE.graphs/).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Measure any saved model on data with known values: MAE/RMSE per target (meV for energies)."""
    from hohenberg.families import load_model

    from hohenberg.errors import InputError

    try:
        payload = load_model(model_dir).evaluate(data, table=table_path, split=split, tta=tta, out=out, cache=cache)
    except InputError as exc:
        raise with_flags(exc, ["table", "tta", "cache", "split"]) from None
    if json_out:
        print_json({k: v for k, v in payload.items() if k not in ("title", "summary_table")})
        return
    print_evaluation(payload)


@app.command("info")
def info(
    model: Annotated[str, typer.Argument(metavar="MODEL", help="A shipped model's name or a model directory.")],
    json_out: JsonOpt = False,
) -> None:
    """The model's manifest: kind, targets with units, split, training domain, card, checked files."""
    from hohenberg.families.registry import manifest_of
    from hohenberg.pretrained import model_path

    m = manifest_of(model_path(model))
    if json_out:
        print_json(m.to_dict())
        return
    print_table(f"{model}: a {m.kind} model (manifest format {m.format_version})", ["", "value"],
                [("targets", ", ".join(f"{t['name']} ({t['unit'] or '-'})" for t in m.targets)),
                 ("split", "-" if not m.split else f"{m.split.get('kind')} {m.split.get('sizes')}"),
                 ("domain", "; ".join(f"{k} {v}" for k, v in m.domain.items()) or "-"),
                 ("files checked", ", ".join(m.sha256) or "- (no manifest yet: `hohenberg model upgrade`)")]
                + [(k, v if isinstance(v, str) else "see --json") for k, v in m.card.items()])


@app.command("upgrade")
def upgrade(
    model_dir: Annotated[Path, typer.Argument(metavar="MODEL_DIR", help="A model directory written without a manifest.")],
    json_out: JsonOpt = False,
) -> None:
    """Write manifest.json for a model directory of an older format (its other files stay as they are)."""
    from hohenberg.families.registry import upgrade as run

    m = run(model_dir)
    if json_out:
        print_json(m.to_dict())
        return
    console.print(f"wrote {model_dir / 'manifest.json'}: a {m.kind} model, {len(m.sha256)} files checked", highlight=False)
