"""CSV / TSV rows with a SMILES column as records, numbered by file line (the header is line 1);
their geometry is embedded later, once the row's other values are known to be good."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from hohenberg.datasets.importing.records import Options, Place, RawRecord, RecordError
from hohenberg.errors import InputError
from hohenberg.molecules.parsing import read_text


def read_csv_records(path: Path, opts: Options) -> list[RawRecord]:
    """Rows of a CSV/TSV file with a SMILES column; geometry is embedded later, row by row."""
    text = read_text(path)
    reader = csv.reader(io.StringIO(text), delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
    header = [h.strip() for h in next(reader, [])]
    smiles_col = _smiles_column(path, header, opts.smiles_column)
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        raise InputError(path, f"column(s) {', '.join(map(repr, duplicates))} appear more than once in the header", 1)
    records, last = [], reader.line_num
    for row in reader:
        line, last = last + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        place = Place(str(path), "line", line, line)
        if len(row) != len(header):
            records.append(RawRecord(place, problem=RecordError(None, f"{len(row)} fields, the header has {len(header)}")))
            continue
        values = dict(zip(header, row))
        smiles = values.pop(smiles_col)
        records.append(RawRecord(place, values=values, smiles=smiles, info={"smiles_column": smiles_col}))
    return records


def _smiles_column(path: Path, header: Sequence[str], given: str | None) -> str:
    if given is not None:
        if given not in header:
            raise InputError(path, f"no SMILES column {given!r}; columns: {', '.join(header)}", 1)
        return given
    found = [h for h in header if h.lower() == "smiles"]
    if not found:
        raise InputError(path, f"no column named 'smiles'; rename the SMILES column 'smiles' or say which column holds the SMILES "
                               f"(columns: {', '.join(header) or 'none'})", 1)
    return found[0]

