"""Materials informatics: element descriptors, d-band centres, adsorption energies, band gaps.

Modules, one job each: ``elements`` (frozen element table), ``featurize`` (pair / composition
features), ``datasets`` (vendored reference data), ``models`` (scikit-learn pipelines),
``protocols`` (repeated random splits, descriptor subsets, leave-one-metal-out, grouped CV),
``dband`` / ``adsorption`` / ``bandgap`` / ``intermetallic`` (the data sets' design matrices and
evaluations), ``uncertainty`` and ``calibration`` (std, coverage, conformal), ``screen``
(candidate ranking, Bayesian optimisation), ``interpret`` (importances, Shapley values),
``plots`` (PNG figures), ``ofm`` (orbital-field matrix).
"""
