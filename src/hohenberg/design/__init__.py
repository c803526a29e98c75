"""Inverse design: search a pool of molecules for a property goal with a surrogate model.

``pool`` (candidates: a table, a SMILES file, mutations of seeds: ``mutate``), ``surrogates``
(GP with a Tanimoto kernel on Morgan fingerprints, alone or with the 3D polarity descriptors of
``polarity``; graph-network ensemble), ``acquisition``
(goals; EI, UCB, Thompson, greedy, random), ``oracle`` (table look-up or a ``qc`` level through
the batch runner's store), ``loop`` (the resumable search), ``report`` (trace, best molecules).
"""
