"""gSpan against brute-force enumeration, the gspan-mining package, RDKit SMARTS matching."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from rdkit import Chem

from hohenberg.subgraph import PatternTree, from_smiles, mine
from hohenberg.subgraph.brute import brute_force_supports
from hohenberg.subgraph.dfs import canonical_key, code_to_graph, is_min, min_code
from hohenberg.subgraph.graph import LabelConfig, LabeledGraph, decode_atom, encode_atom
from hohenberg.subgraph.match import contains
from subgraph_helpers import SMILES, random_graphs


def supports(patterns) -> dict:
    return {p.key: len(p.support) for p in patterns}


@pytest.mark.parametrize(
    "min_support,max_size,expected", [(1, None, 5646), (4, None, 367), (2, 3, 556), (1, 0, 3)]
)
def test_gspan_equals_brute_force_on_random_graphs(min_support, max_size, expected):
    graphs = random_graphs(300, seed=11, n_max=7, extra_edges=3)
    pats = mine(graphs, min_support, max_size)
    got = supports(pats)
    assert len(got) == len(pats)  # every pattern reported once
    ref = brute_force_supports(graphs, min_support, max_size)
    assert got == ref
    assert len(got) == expected  # pins the random fixture, so an empty comparison cannot pass
    assert PatternTree(graphs, min_support, max_size).count() == expected  # streamed count agrees
    # The support sets, not only their sizes, are right.
    for p in pats[::7]:
        expect = [gid for gid, g in enumerate(graphs) if contains(g, p.code, p.root)]
        assert p.support.tolist() == expect


def test_gspan_equals_brute_force_on_molecules():
    graphs = [from_smiles(s) for s in SMILES]
    got = supports(mine(graphs, 2))
    assert got == brute_force_supports(graphs, 2)
    # Benzene ring: the 6-cycle of aromatic carbons is found in exactly the 7 benzenoid molecules.
    ring = canonical_key(from_smiles("c1ccccc1"))
    assert got[ring] == 7


def test_invariance_to_atom_order():
    rng = np.random.default_rng(3)
    graphs = random_graphs(120, seed=5, n_max=7, extra_edges=3)
    shuffled = [g.permuted(rng.permutation(g.n_vertices).tolist()) for g in graphs]
    assert supports(mine(graphs, 2)) == supports(mine(shuffled, 2))
    for g, h in zip(graphs, shuffled):
        assert min_code(g) == min_code(h)
        assert is_min(min_code(g))


def test_min_code_distinguishes_non_isomorphic_graphs():
    path = LabeledGraph([1, 1, 1, 1], [(0, 1, 1), (1, 2, 1), (2, 3, 1)])
    star = LabeledGraph([1, 1, 1, 1], [(0, 1, 1), (0, 2, 1), (0, 3, 1)])
    assert min_code(path) != min_code(star)
    # Hand-checked minimum code of a triangle with one distinct label.
    tri = LabeledGraph([2, 1, 1], [(0, 1, 1), (1, 2, 1), (2, 0, 1)])
    assert min_code(tri) == ((0, 1, 1, 1, 1), (1, 2, 1, 1, 2), (2, 0, 2, 1, 1))


def test_smarts_matches_exactly_the_support():
    graphs = [from_smiles(s) for s in SMILES]
    mols = [Chem.MolFromSmiles(s) for s in SMILES]
    pats = mine(graphs, 2)
    assert len(pats) == 82
    seen = set()
    for p in pats:
        smarts = p.smarts()
        assert smarts not in seen
        seen.add(smarts)
        query = Chem.MolFromSmarts(smarts)
        assert query is not None, smarts
        hits = [i for i, m in enumerate(mols) if m.HasSubstructMatch(query)]
        assert hits == p.support.tolist(), smarts


def test_label_encoding_round_trip_and_charges():
    for z, aro, q in itertools.product([6, 7, 8, 16], [False, True], [-1, 0, 1]):
        assert decode_atom(encode_atom(z, aro, q)) == (z, aro, q)
    g = from_smiles("CC[N+](C)(C)C", LabelConfig(charge=True))
    assert encode_atom(7, False, 1) in g.labels
    g = from_smiles("c1ccccc1", LabelConfig(aromatic=False))
    assert sorted(e for *_, e in g.edges) == [1, 1, 1, 2, 2, 2]


def test_visitor_prunes_subtrees_and_counts_nodes():
    graphs = random_graphs(100, seed=2)
    tree = PatternTree(graphs, 1)
    full = sum(1 for _ in tree.walk())
    small = PatternTree(graphs, 1)
    kept = []
    small.search(lambda n: (kept.append(n), n.size < 2)[1])
    assert max(n.size for n in kept) == 2
    assert small.stats.visited == len(kept) < full
    assert code_to_graph(kept[-1].code).n_edges == kept[-1].size


class _Oracle:
    """gspan-mining with its pandas report step replaced: it records patterns instead."""

    @staticmethod
    def run(graphs, min_support):
        gspan_mining = pytest.importorskip("gspan_mining")
        import tempfile

        class Recording(gspan_mining.gSpan):
            found: list

            def _report_size1(self, g, support):
                self.found.append((int(g.vertices[0].vlb), (), support))

            def _report(self, projected):
                self._frequent_subgraphs.append(self._DFScode)  # kept: the miner reads it back
                code = [(e.frm, e.to, int(e.vevlb[0]), int(e.vevlb[1]), int(e.vevlb[2])) for e in self._DFScode]
                self.found.append((None, code, self._support))

        lines = []
        for gid, g in enumerate(graphs):
            lines.append(f"t # {gid}")
            lines += [f"v {v} {lab}" for v, lab in enumerate(g.labels)]
            lines += [f"e {u} {v} {e}" for u, v, e in g.edges]
        lines.append("t # -1")
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
            fh.write("\n".join(lines) + "\n")
        miner = Recording(fh.name, min_support=min_support, verbose=False)
        miner.found = []
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):
            miner.run()
        out = {}
        for root, code, support in miner.found:
            # The oracle orders labels as strings; name its patterns by our canonical form.
            key = (root, ()) if not code else canonical_key(code_to_graph(code))
            assert key not in out
            out[key] = support
        return out


def test_gspan_equals_gspan_mining_package():
    graphs = random_graphs(150, seed=7, n_max=6, extra_edges=2)
    assert supports(mine(graphs, 3)) == _Oracle.run(graphs, 3)


def test_graphs_from_molecules_rdkit_and_smiles_agree():
    from rdkit.Chem import AllChem

    from hohenberg.molecules import Molecule
    from hohenberg.subgraph.graph import to_graphs

    for smi in ["CC(=O)Nc1ccccc1", "C1COCCN1", "CC#N"]:
        rd = Chem.AddHs(Chem.MolFromSmiles(smi))
        AllChem.EmbedMolecule(rd, randomSeed=1)
        mol = Molecule.from_rdkit(rd, name=smi)
        mol.info["smiles"] = smi
        for config in (LabelConfig(), LabelConfig(aromatic=False)):
            keys = {canonical_key(g) for g in to_graphs([smi, rd, mol], config)}
            assert len(keys) == 1, (smi, config)
