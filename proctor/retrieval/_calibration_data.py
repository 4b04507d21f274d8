"""Shipped novelty-rule calibrations, by embedder identity (written by ``python bench/retrieval.py
--calibrate --write-calibration``; see :mod:`._calibration` for how they are computed)."""

from __future__ import annotations

from typing import Any

CALIBRATIONS: dict[str, dict[str, Any]] = {'onnx-int8:all-MiniLM-L6-v2:384:128': {'command': 'python bench/retrieval.py --calibrate --embedder '
                                                   'minilm-int8 --papers 250 --max-chunks 15',
                                        'computed': '2026-12-07',
                                        'data': 'ICLR 2022 review bench (250 papers, abstracts cut out of '
                                                'the bodies, first 15 paragraphs each)',
                                        'embedder': 'onnx-int8:all-MiniLM-L6-v2:384:128',
                                        'method': 'highest balanced accuracy over known pairs (an idea vs '
                                                  "its own paper's paragraphs) and novel pairs (the same "
                                                  'idea vs the closest paragraph of every other paper), on '
                                                  'the papers whose id hash is even; reported on the odd '
                                                  'half',
                                        'negatives': 250,
                                        'papers': 250,
                                        'positives': 250,
                                        'test': {'auc': 0.8743,
                                                 'balanced_accuracy': 0.7437,
                                                 'fpr': 0.4454,
                                                 'tpr': 0.9328},
                                        'threshold': 0.6448,
                                        'train': {'balanced_accuracy': 0.7901, 'fpr': 0.3817, 'tpr': 0.9618}},
 'onnx-int8:all-MiniLM-L6-v2:384:256': {'command': 'python bench/retrieval.py --calibrate --embedder '
                                                   'minilm-int8-256 --papers 250 --max-chunks 15',
                                        'computed': '2026-12-07',
                                        'data': 'ICLR 2022 review bench (250 papers, abstracts cut out of '
                                                'the bodies, first 15 paragraphs each)',
                                        'embedder': 'onnx-int8:all-MiniLM-L6-v2:384:256',
                                        'method': 'highest balanced accuracy over known pairs (an idea vs '
                                                  "its own paper's paragraphs) and novel pairs (the same "
                                                  'idea vs the closest paragraph of every other paper), on '
                                                  'the papers whose id hash is even; reported on the odd '
                                                  'half',
                                        'negatives': 250,
                                        'papers': 250,
                                        'positives': 250,
                                        'test': {'auc': 0.8965,
                                                 'balanced_accuracy': 0.8235,
                                                 'fpr': 0.2437,
                                                 'tpr': 0.8908},
                                        'threshold': 0.6912,
                                        'train': {'balanced_accuracy': 0.8092, 'fpr': 0.1908, 'tpr': 0.8092}},
 'st:all-MiniLM-L6-v2:384:256': {'command': 'python bench/retrieval.py --calibrate --embedder minilm '
                                            '--papers 250 --max-chunks 15',
                                 'computed': '2026-12-07',
                                 'data': 'ICLR 2022 review bench (250 papers, abstracts cut out of the '
                                         'bodies, first 15 paragraphs each)',
                                 'embedder': 'st:all-MiniLM-L6-v2:384:256',
                                 'method': 'highest balanced accuracy over known pairs (an idea vs its own '
                                           "paper's paragraphs) and novel pairs (the same idea vs the "
                                           'closest paragraph of every other paper), on the papers whose id '
                                           'hash is even; reported on the odd half',
                                 'negatives': 250,
                                 'papers': 250,
                                 'positives': 250,
                                 'test': {'auc': 0.8913,
                                          'balanced_accuracy': 0.8067,
                                          'fpr': 0.3109,
                                          'tpr': 0.9244},
                                 'threshold': 0.6731,
                                 'train': {'balanced_accuracy': 0.8015, 'fpr': 0.2672, 'tpr': 0.8702}}}
