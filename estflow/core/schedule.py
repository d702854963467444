"""The order a plan runs its ops in, and which of them may see a dead value.

Reads before writes (`schedule`): within one `Session.run`, a value that depends on no
write of a variable is computed from the variable as the run found it, and one that
depends on the write (through inputs or control dependencies) sees it. TF leaves this
order unspecified; this rule is deterministic. `dead_region` finds the ops downstream of
a Switch: only their steps check for the dead value of an untaken tf.cond branch.

Everything here is read from each op's OpDef (`is_variable`, `writes_refs`,
`forwards_ref`, `aliases_input`, `ref_inputs`, `emits_dead`); no op type is named.
"""

from __future__ import annotations

import heapq

from estflow.core.graph import Operation


def _inputs(op: Operation, fusions: dict) -> tuple:
    """The tensors `op`'s step reads: a compile-time fusion's inputs (OpDef.fuse), else its own."""
    fusion = fusions.get(op)
    return op._inputs if fusion is None else fusion.inputs


def fused_refs(op: Operation, fusions: dict) -> tuple:
    """The positions of `op`'s ref inputs among the tensors its step reads: a pure fusion's step reads
    values only; a stateful op's fusion (Fusion.make_kernel) keeps the op's ref inputs where they were."""
    fusion = fusions.get(op)
    if fusion is None or fusion.make_kernel is not None:
        return op._op_def.ref_inputs
    return ()


def _value_deps(op: Operation, fed: set, fusions: dict):
    """The ops `op` waits for: producers of its inputs (variables aside: they are read lazily) and controls."""
    for t in _inputs(op, fusions):
        if t in fed:
            continue
        if not t._op._op_def.is_variable:
            yield t._op
    yield from op._control_inputs


def _variables_read(op: Operation, fed: set, refers: dict, fusions: dict):
    """The variables `op` reads: through values that may alias them, or ref inputs it does not write."""
    ref = fused_refs(op, fusions)
    writes = op._op_def.writes_refs
    for i, t in enumerate(_inputs(op, fusions)):
        if t in fed:
            continue
        if i in ref:
            if not writes and t._op._op_def.is_variable:
                yield t._op
        else:
            yield from refers.get(t._op, ())


def _refers_to(op: Operation, fed: set, refers: dict, fusions: dict) -> frozenset:
    """The variables an output of `op` may alias (an update in place shows through it)."""
    op_def = op._op_def
    if op_def.is_variable:
        return frozenset((op,))
    out = set(variables_written(op))
    if op_def.aliases_input or op_def.forwards_ref:
        out.update(v for v in _variables_read(op, fed, refers, fusions))
    return frozenset(out)


def variables_written(op: Operation):
    """The variables `op` updates: those its ref inputs name, when its OpDef says it writes them."""
    if op._op_def.writes_refs:
        for i in op._op_def.ref_inputs:
            dep = op._inputs[i]._op
            if dep._op_def.is_variable:
                yield dep


def schedule(needed: list[Operation], fed: set, fusions: dict | None = None) -> list[Operation]:
    """The order the plan runs `needed` in (variables excluded: they are read where consumed).

    Reads before writes: an op that depends on no write runs before every write, and an op
    reading a variable (through a value that may alias it, like its `read` snapshot) runs
    before each write of that variable it does not depend on (through inputs or control
    inputs); one that depends on the write sees it. `fusions` (op -> registry.Fusion) replace
    a fused op's inputs by the tensors its fused step reads. Among the rest, `needed`'s order is kept, so the
    schedule is deterministic. Constraints that would form a cycle (reads and writes of two
    variables crossing each other's control dependencies) are dropped, earliest op first.
    """
    fusions = fusions or {}
    ops = [op for op in needed if not op._op_def.is_variable]
    writers = [op for op in ops if op._op_def.writes_refs]
    if not writers:
        return ops
    index = {op: i for i, op in enumerate(ops)}
    bit = {w: 1 << i for i, w in enumerate(writers)}
    writes_of: dict[Operation, list[Operation]] = {}
    for w in writers:
        for var in variables_written(w):
            writes_of.setdefault(var, []).append(w)
    mask: dict[Operation, int] = {}  # the writes each op depends on (a writer: itself too)
    preds: dict[Operation, list[Operation]] = {}
    refers: dict[Operation, frozenset] = {}
    for op in needed:
        refers[op] = _refers_to(op, fed, refers, fusions)
        if op not in index:
            continue
        deps = [d for d in _value_deps(op, fed, fusions) if d in index]
        m = bit.get(op, 0)
        for d in deps:
            m |= mask[d]
        mask[op], preds[op] = m, deps
    extra: dict[Operation, list[Operation]] = {}  # op -> ops that must run before it (reads, or writes)
    for op in ops:
        for var in set(_variables_read(op, fed, refers, fusions)):
            for w in writes_of.get(var, ()):
                if w is op or mask[op] & bit[w]:
                    continue
                if op._op_def.forwards_ref and any(mask.get(c, 0) & bit[w] for t in op._outputs
                                                   for c in t._consumers):
                    extra.setdefault(op, []).append(w)  # a consumer dereferences after the write
                else:
                    extra.setdefault(w, []).append(op)
    return _ordered(ops, index, preds, extra, lambda op: (mask[op] != 0, index[op]))


def _ordered(ops, index, preds, extra, key) -> list[Operation]:
    """Kahn's algorithm over `preds` plus the `extra` constraints, smallest `key` first among ready ops."""
    waiting = {op: len(preds[op]) + len(extra.get(op, ())) for op in ops}
    succs: dict[Operation, list[Operation]] = {op: [] for op in ops}
    for op in ops:
        for d in preds[op]:
            succs[d].append(op)
    for w, readers in extra.items():
        for r in readers:
            succs[r].append(w)
    ready = [key(op) + (op,) for op in ops if waiting[op] == 0]
    heapq.heapify(ready)
    order: list[Operation] = []
    placed: set[Operation] = set()
    while len(order) < len(ops):
        if not ready:  # only crossing read/write constraints remain: drop those of the earliest op
            op = min((o for o in ops if o not in placed and all(d in placed for d in preds[o])), key=index.get)
            waiting[op] = 0
            heapq.heappush(ready, key(op) + (op,))
        *_, op = heapq.heappop(ready)
        if op in placed:
            continue
        placed.add(op)
        order.append(op)
        for s in succs[op]:
            waiting[s] -= 1
            if waiting[s] == 0 and s not in placed:
                heapq.heappush(ready, key(s) + (s,))
    return order


def dead_region(order: list[Operation], fed: set, fusions: dict | None = None) -> tuple[set, set]:
    """The ops that may see a dead value (downstream of a Switch), and those among them others wait on."""
    fusions = fusions or {}
    region: set[Operation] = set()
    waited: set[Operation] = set()
    for op in order:
        ref = fused_refs(op, fusions)
        hit = False
        for i, t in enumerate(_inputs(op, fusions)):
            if t in fed:
                continue
            dep = t._op
            if dep in region or (i not in ref and dep._op_def.emits_dead):
                hit = True
                if i in ref:
                    waited.add(dep)
        for c in op._control_inputs:
            if c in region:
                hit = True
                waited.add(c)
        if hit:
            region.add(op)
    return region, waited
