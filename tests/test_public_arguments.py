"""No public function accepts an argument it silently ignores.

TF1 code passes many arguments that matter only to TensorFlow's runtime (threads, queues,
resource variables, colocation). Each parameter of the public API that its function never
reads must appear in ALLOWED below with the reason it cannot change a result here (and the
function's docstring says so to users). A new parameter that is never read fails this test:
make it act as in TF1, refuse values estflow cannot honour with an error naming it, or add
it here with its reason.

"Public" is every function and class that a namespace module (a module that only
re-exports: `estflow/__init__.py`, `nn.py`, `train`, `data`, ...) exports, with the
`__init__`, `__call__` and public methods of those classes. A parameter counts as read when
its name is loaded anywhere in the function's body; a constructor argument stored on `self`
must also be read back somewhere in the package. A function whose whole body raises refuses
every call and so ignores nothing.
"""

from __future__ import annotations

import ast
import fnmatch
import functools
import importlib
import inspect
import textwrap
from pathlib import Path

import estflow

ROOT = Path(estflow.__file__).resolve().parent

# Keys are `<qualname>:<parameter>` (module paths left out so that moving a module keeps its
# entries); `*` matches any text.
ALLOWED = {
    # ---- the graph and the session -------------------------------------------------------------
    "import_graph_def:op_dict": "deprecated and unused in TF1 too",
    "parallel_interleave:sloppy": "allows TF an out-of-order interleave; estflow's deterministic order is "
                                   "one it allows",
    "parallel_interleave:buffer_output_elements": "sizes TF's per-thread buffers; no element changes",
    "parallel_interleave:prefetch_input_elements": "sizes TF's input prefetching; no element changes",
    "prefetch_to_device:device": "where TF stages elements; estflow hands them to the ops that read them",
    "from_list:name": "names TF's tf.data op; estflow's pipeline stages are not graph nodes",
    "CheckpointInputPipelineHook.after_create_session:session": "as TF's: the restore waits for the first step",
    "with_eager_op_as_function:only_as_function": "unused in TF 2.15 too (the decorator returns the class)",
    "initialize:graph": "read once a default tf.contrib.summary writer exists, which estflow has none of (as TF1 "
                        "without one: RuntimeError)",
    "initialize:session": "read once a default tf.contrib.summary writer exists (see initialize:graph)",
    "copy_to_device:target_device": "estflow places element values where the ops that read them run",
    "copy_to_device:source_device": "estflow places element values where the ops that read them run",
    "make_batched_features_dataset:sloppy_ordering": "allows TF an out-of-order read; estflow's order is "
                                                     "deterministic, one of those it allows",
    "get_static_value:partial": "estflow knows a value whole or not at all, so a partial value is never returned",
    "import_graph_def:producer_op_list": "TF1 uses it to drop default-valued attrs its OpDefs lack; estflow "
                                         "reads only the attrs its OpDefs declare, so it cannot change the import",
    "gradients:gate_gradients": "orders computation against thread races in TF1; estflow runs a step's ops "
                                "one at a time and optimizers make variable writes wait for all gradients",
    # ---- variables ---------------------------------------------------------------------------------
    "Variable.__init__:expected_shape": "TF1: 'Deprecated. Ignored.'",
    "Variable.__init__:use_resource": "one kind of variable: a ResourceVariable would hold the same values, and "
                                      "reads within a step follow estflow's reads-before-writes rule",
    "get_local_variable:trainable": "ignored in TF1 too: a local variable is never trainable",
    "no_regularizer:_": "TF1's signature: a regularizer that takes the weights and returns None",
    "*.__call__:partition_info": "the slice of a partitioned variable: TF1's initializers ignore it too, and "
                                 "estflow has no partitioned variables",
    # ---- ops ----------------------------------------------------------------------------------------
    "gather:validate_indices": "deprecated no-op in TF1: indices are always checked",
    "eigh_tridiagonal:tol": "the tolerance of TF's bisection; estflow solves the dense symmetric problem to full "
                            "precision, within any tol",
    "ctc_loss_v2:unique": "speeds up TF's dense-label computation; the loss does not depend on it",
    "vectorized_map:fallback_to_while_loop": "estflow always runs the while_loop TF falls back to: same values",
    "vectorized_map:warn": "TF warns when it falls back to a loop; estflow always runs the loop",
    "embedding_lookup:validate_indices": "deprecated in TF1: ids are always checked",
    "matmul:a_is_sparse": "an algorithm hint for mostly-zero inputs: the product is the same",
    "matmul:b_is_sparse": "an algorithm hint for mostly-zero inputs: the product is the same",
    "strided_slice:var": "lets TF1 attach `.assign` (StridedSliceAssign), which estflow lacks; the slice is "
                         "the same",
    "while_loop:swap_memory": "moves GPU tensors kept for the gradient to host memory: memory only",
    "moments:shift": "unused in TF1 too ('Not used in the current implementation')",
    # ---- session hooks -----------------------------------------------------------------------------
    "*.before_run:run_context": "a SessionRunHook method's TF1 signature: hooks that do not stop the loop "
                                "have no use for the context",
    "*.after_run:run_context": "a SessionRunHook method's TF1 signature (see before_run)",
    "SessionRunHook.after_run:run_values": "the base hook's no-op: subclasses read the values",
    "InMemoryEvaluatorHook.after_run:run_values": "counts training iterations, as TF's: no values requested",
    "*.after_create_session:coord": "a SessionRunHook method's TF1 signature: estflow's hooks start no threads",
    "SessionRunHook.after_create_session:session": "the base hook's no-op: subclasses read the session",
    "*.end:session": "a SessionRunHook method's TF1 signature: hooks with nothing to run at the end ignore it",
    "CheckpointSaverListener.*:*": "the base listener's no-op methods: subclasses read their arguments",
    # ---- heads --------------------------------------------------------------------------------------
    "*Head*.create_loss:mode": "the `_Head.create_loss` signature: TF1's canned heads ignore the mode too (their "
                               "loss is the same in TRAIN and EVAL); custom heads may read it",
    # ---- layers -------------------------------------------------------------------------------------
    "Layer.build:input_shape": "the base class's hook: subclasses that create variables read it",
    "Layer.call:kwargs": "the base class's identity hook: subclasses take their own keyword arguments",
    "Layer.add_loss:inputs": "marks losses for Keras' get_losses_for, which estflow's layers do not have; the "
                             "collection gets the losses either way, as in TF1",
    "Layer.add_update:inputs": "kept for Keras' get_updates_for, which estflow's layers do not have; UPDATE_OPS "
                               "gets the updates either way, as in TF1",
    "BatchNormalization.__init__:renorm_clipping": "used only with renorm=True, which build() refuses",
    "batch_norm:fused": "contrib's choice of TF's fused kernel: the same values, and estflow has one kernel",
    "embed_sequence:unique": "TF looks each distinct id up once: the embeddings returned are the same",
    "local_variable:use_resource": "one kind of variable (see Variable.__init__:use_resource)",
    "BatchNormalization.__init__:renorm_momentum": "used only with renorm=True, which build() refuses",
    # ---- input pipelines ----------------------------------------------------------------------------
    "numpy_input_fn:queue_capacity": "TF1's shuffling queue size: estflow shuffles each epoch with a full "
                                     "permutation; the rows and batches are the same, only the random order differs",
    "numpy_input_fn:num_threads": "TF1's enqueue threads: estflow reads in one thread, the order TF1 gives with 1",
    "pandas_input_fn:queue_capacity": "as numpy_input_fn's",
    "pandas_input_fn:num_threads": "as numpy_input_fn's",
    "Dataset.interleave:num_parallel_calls": "parallelism only: the elements come in the same order",
    "make_csv_dataset:sloppy": "allows TF1 a nondeterministic order; estflow's deterministic one is one TF1 may "
                               "produce",
    "TFRecordOptions.__init__:input_buffer_size": "TF's read buffer size: the records are the same",
    "TFRecordOptions.__init__:output_buffer_size": "TF's write buffer size: the file is the same",
    # ---- tf.test -------------------------------------------------------------------------------------
    "is_gpu_available:cuda_only": "estflow's only GPUs are CUDA devices (through cupy): the answer is the same",
    # ---- files and errors ---------------------------------------------------------------------------
    "FileWriter.__init__:session": "TF1 then writes through summary ops in that session; estflow writes the same "
                                   "event file from Python",
    "OpError.__init__:args": "TF's signature: extra positional arguments (from pickling) carry nothing",
    "_subclass.<locals>.__init__:args": "TF's signature: extra positional arguments (from pickling) carry nothing",
}


def _private_names(target) -> bool:
    if isinstance(target, ast.Name):
        return target.id.startswith("_")
    return isinstance(target, ast.Tuple) and all(_private_names(t) for t in target.elts)


def _is_namespace_module(path: Path) -> bool:
    """A module that only re-exports: imports (also under `if TYPE_CHECKING:`), a docstring, private or
    dunder assignments (`__all__`, a lazy-loading table) and PEP 562's `__getattr__` / `__dir__`."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and all(
                _private_names(t) for t in (node.targets if isinstance(node, ast.Assign) else [node.target])):
            continue
        if isinstance(node, ast.FunctionDef) and node.name in ("__getattr__", "__dir__"):
            continue
        if isinstance(node, ast.If) and all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in node.body):
            continue
        return False
    return True


def _namespace_modules() -> list[str]:
    names = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        if rel.parts[1:2] in (("core",),) or "protos" in rel.parts or not _is_namespace_module(path):
            continue
        parts = list(rel.parts[:-1] if rel.parts[-1] == "__init__" else rel.parts)
        names.append(".".join(parts))
    return names


def _ours(obj) -> bool:
    return (getattr(obj, "__module__", None) or "").split(".")[0] == "estflow"


@functools.cache
def _public_functions() -> tuple:
    """Every public function, and every __init__/__call__/public method of a public class."""
    return tuple(_scan_public_functions())


def _scan_public_functions():
    seen = set()
    for module_name in _namespace_modules():
        module = importlib.import_module(module_name)
        names = set(getattr(module, "__all__", ())) | {n for n in dir(module) if not n.startswith("_")}
        for name in sorted(names):
            obj = getattr(module, name, None)
            if isinstance(obj, type):
                members = [m for klass in obj.__mro__ if _ours(klass) for m in vars(klass).items()]
                candidates = [value for key, value in members if not key.startswith("_") or key in ("__init__",
                                                                                                      "__call__")]
            elif callable(obj):
                candidates = [inspect.unwrap(obj)]
            else:
                continue
            for fn in candidates:
                if isinstance(fn, (staticmethod, classmethod)):
                    fn = fn.__func__
                if inspect.isfunction(fn) and _ours(fn) and fn.__code__ not in seen:
                    seen.add(fn.__code__)
                    yield fn


def _attribute_reads() -> set[str]:
    """Attribute names read anywhere in the package (and string constants, for getattr)."""
    names = set()
    for path in ROOT.rglob("*.py"):
        if "protos" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                names.add(node.attr)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                names.add(node.value)
    return names


def _unread_parameters(fn, attribute_reads: set[str]) -> list[str]:
    try:
        source = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):  # generated code (dataclass __init__): nothing written by hand
        return []
    definition = ast.parse(source).body[0]
    if not isinstance(definition, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return []
    body = definition.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    if len(body) == 1 and isinstance(body[0], ast.Raise):
        return []  # refuses every call
    args = definition.args
    params = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    params += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    loads: dict[str, int] = {}
    stored: dict[str, list[str]] = {}
    for node in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            loads[node.id] = loads.get(node.id, 0) + 1
        elif (isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and len(node.targets) == 1
              and isinstance(node.targets[0], ast.Attribute) and isinstance(node.targets[0].value, ast.Name)
              and node.targets[0].value.id == "self"):
            stored.setdefault(node.value.id, []).append(node.targets[0].attr)
    unread = []
    for p in params:
        if p in ("self", "cls"):
            continue
        if not loads.get(p):
            unread.append(p)
        elif (definition.name == "__init__" and len(stored.get(p, ())) == loads[p]
              and not any(attr in attribute_reads for attr in stored[p])):
            unread.append(p)  # only stored on self, and that attribute is never read
    return unread


@functools.cache
def _findings() -> dict[str, str]:
    attribute_reads = _attribute_reads()
    return {f"{fn.__qualname__}:{p}": f"{fn.__module__}.{fn.__qualname__}({p})"
            for fn in _public_functions() for p in _unread_parameters(fn, attribute_reads)}


def _allowed(key: str) -> bool:
    return any(fnmatch.fnmatchcase(key, pattern) for pattern in ALLOWED)


def test_the_scan_sees_the_public_api():
    """Guards the scan itself: it must reach functions, constructors and methods of every layer."""
    qualnames = {fn.__qualname__ for fn in _public_functions()}
    for expected in ("gradients", "Optimizer.minimize", "Variable.__init__", "Dense.__init__", "Dataset.map",
                     "numpy_input_fn", "Saver.save", "FileWriter.__init__", "sparse_softmax_cross_entropy"):
        assert expected in qualnames, expected
    assert "BaseSession.run:options" in _findings() or "BaseSession.run:options" not in ALLOWED


def test_every_ignored_public_argument_is_allowed_with_a_reason():
    findings = _findings()
    unexplained = sorted(where for key, where in findings.items() if not _allowed(key))
    assert not unexplained, (
        "These public parameters are never read. Make each act as in TF1, refuse what estflow cannot honour "
        "with an error naming it, or (where it cannot change a result here) document that in the docstring and "
        "add it to ALLOWED with the reason:\n  " + "\n  ".join(unexplained))


def test_allowed_entries_are_still_needed():
    findings = _findings()
    stale = sorted(pattern for pattern in ALLOWED if not any(fnmatch.fnmatchcase(k, pattern) for k in findings))
    assert not stale, f"These ALLOWED entries match nothing ignored any more; remove them: {stale}"
    assert all(reason.strip() for reason in ALLOWED.values())
