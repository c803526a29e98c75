"""Volumetric store: density grids (or the orbitals to render them) for many molecules.

``StoreWriter`` appends records by molecule id (atomic, resumable, one writer at a time);
``StoreReader`` reads any record by id with a CRC32 check; ``DensityDataset`` (in
``hohenberg.store.dataset``, imports torch) serves them to a DataLoader.  Layout on disk:
:mod:`hohenberg.store.layout`; record format: :mod:`hohenberg.store.record`.  Containers (chosen
when a store is created): ``shards`` (default, our append-only files) or ``hdf5`` (grid layout,
sealed chunked HDF5 shard files: :mod:`hohenberg.store.hdf5`).
"""

from hohenberg.store.integrity import VerifyReport, store_info, verify_store
from hohenberg.store.reader import CorruptRecordError, StoreReader, open_store
from hohenberg.store.record import DensityCodec, Record
from hohenberg.store.repair import repair_store
from hohenberg.store.writer import StoreWriter

__all__ = ["CorruptRecordError", "DensityCodec", "Record", "StoreReader", "StoreWriter", "VerifyReport",
           "open_store", "repair_store", "store_info", "verify_store"]
