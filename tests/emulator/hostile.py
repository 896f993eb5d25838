"""Malformed and hostile variants of a valid order payload, for the tests.

``variants(valid, count, seed, id_key)`` mutates a copy of a real order of a marketplace
(as its API renders it) in one of many ways: a missing field, a wrong type, a huge string,
a negative or zero quantity, a negative price, markup and control characters in text, an
unknown article, an empty or wrong item list, a bad date, null everywhere.  Each variant
gets its own id (``id_key``) unless the mutation is precisely about the id.
"""
import copy
import random

HUGE = "Ж" * 100_000
MARKUP = '<script>alert("x")</script><b>Товар</b>'


def _paths(node, prefix=()):
    """Every (path, value) in a JSON tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield prefix + (key,), value
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield prefix + (i,), value
            yield from _paths(value, prefix + (i,))


def _set(tree, path, value):
    node = tree
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _delete(tree, path):
    node = tree
    for key in path[:-1]:
        node = node[key]
    if isinstance(node, dict):
        del node[path[-1]]
    else:
        node.pop(path[-1])


def _find(paths, *names):
    return [p for p, _v in paths if p and p[-1] in names]


MUTATIONS = (
    "missing", "wrong_type", "huge", "negative_qty", "zero_qty", "negative_price", "markup",
    "unknown_sku", "empty_items", "items_not_list", "bad_date", "null", "control_chars",
    "nan_price", "deep_nesting", "bool_id",
)


def variants(valid, count, seed=1, id_key="id", id_prefix="H", item_keys=("products", "items"),
             qty_keys=("quantity", "count"), price_keys=("price", "buyerPrice", "convertedPrice"),
             sku_keys=("offer_id", "offerId", "article"), barcode_keys=("skus", "barcode", "barcodes"),
             date_keys=("in_process_at", "createdAt",
                                                                   "creationDate", "created_at")):
    rng = random.Random(seed)
    result = []
    for n in range(count):
        doc = copy.deepcopy(valid)
        ident = f"{id_prefix}{seed}-{n:04d}"
        if isinstance(doc.get(id_key), int):
            ident = 900_000_000 + seed * 10_000 + n
        doc[id_key] = ident
        kind = MUTATIONS[n % len(MUTATIONS)]
        paths = list(_paths(doc))
        leaves = [p for p, v in paths if not isinstance(v, (dict, list)) and p[0] != id_key]
        try:
            if kind == "missing":
                _delete(doc, rng.choice(leaves))
            elif kind == "wrong_type":
                _set(doc, rng.choice(leaves), rng.choice([{"x": 1}, [1, 2], True, 3.5e300]))
            elif kind == "huge":
                _set(doc, rng.choice(leaves), HUGE)
            elif kind in ("negative_qty", "zero_qty"):
                for p in _find(paths, *qty_keys):
                    _set(doc, p, -3 if kind == "negative_qty" else 0)
            elif kind in ("negative_price", "nan_price"):
                for p in _find(paths, *price_keys):
                    _set(doc, p, "-150.00" if kind == "negative_price" else "NaN")
            elif kind == "markup":
                for p, v in paths:
                    if isinstance(v, str) and p[-1] in ("name", "offerName", "productName", "address"):
                        _set(doc, p, MARKUP)
            elif kind == "unknown_sku":
                for p in _find(paths, *sku_keys):
                    _set(doc, p, f"NO-SUCH-{n}")
                # and no barcode that could still match a product (Wildberries' skus)
                for p, v in paths:
                    if isinstance(v, str) and any(k in p for k in barcode_keys):
                        _set(doc, p, f"4699999{n:06d}")
            elif kind == "empty_items":
                for p in _find(paths, *item_keys):
                    _set(doc, p, [])
            elif kind == "items_not_list":
                for p in _find(paths, *item_keys):
                    _set(doc, p, "not a list")
            elif kind == "bad_date":
                for p in _find(paths, *date_keys):
                    _set(doc, p, rng.choice(["31-02-2026", "yesterday", "", "9999-99-99T99:99:99Z"]))
            elif kind == "null":
                for p in rng.sample(leaves, min(3, len(leaves))):
                    _set(doc, p, None)
            elif kind == "control_chars":
                for p, v in paths:
                    if isinstance(v, str) and p[-1] in ("name", "offerName", "productName"):
                        _set(doc, p, "Товар\x00\x07\x1b[31m")
            elif kind == "deep_nesting":
                nested = {}
                for _ in range(200):
                    nested = {"a": nested}
                _set(doc, rng.choice(leaves), nested)
            elif kind == "bool_id":
                doc[id_key] = True
        except (KeyError, IndexError, ValueError):
            pass
        result.append(doc)
    return result
