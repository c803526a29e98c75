"""Graphs of graphs: networks whose nodes are molecules, and models on them.

* :mod:`.build`: matched-molecular-pair and isomer networks from a table (:class:`NetworkData`);
* :mod:`.cgr`: condensed graphs of reaction from atom-mapped molecule pairs;
* :mod:`.pairs`: edge regression (the change of a property across a pair): antisymmetric pair
  model, difference of two single-molecule predictions, CGR model;
* :mod:`.gognn`: node regression with message passing over the molecule network;
* :mod:`.run`: train / evaluate / predict, the work behind ``hohenberg train pairs|network``.
"""
