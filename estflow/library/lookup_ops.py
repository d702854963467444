"""Lookup tables, as TF1's `tf.lookup` and `tf.contrib.lookup`: vocabularies as graph ops.

    table = tf.contrib.lookup.index_table_from_tensor(["emerson", "lake", "palmer"], num_oov_buckets=1)
    ids = table.lookup(tf.constant(["lake", "king"]))        # [1, 3]: "king" hashes into bucket 3
    with tf.Session() as sess:
        sess.run(tf.tables_initializer())                    # every table's initializer
        sess.run(ids)

A table is a `HashTableV2` resource (its contents live in each session, core/ops/lookup_ops.py)
plus the initializer op that fills it, recorded in the `TABLE_INITIALIZERS` collection; a
lookup is `LookupTableFindV2`. Out-of-vocabulary buckets are computed as TF computes them:
`StringToHashBucketFast` of the key (an integer key hashed as its decimal text), plus the
vocabulary size, where the table returns its default. A vocabulary file given as a constant
is recorded in `ASSET_FILEPATHS`, so an exported SavedModel carries it as an asset.

A table built inside a function graph (a `Dataset.map` function) is created in the outermost
graph, as TF's `init_scope` does, with its initializer in `TABLE_INITIALIZERS`; lookups inside
a function use the handle through an outer identity that waits for the initializer, so the
iterator's initializer fills the table (no `tables_initializer` needed, as in TF 2's tf.data).
"""

from __future__ import annotations

import collections
import contextlib
import functools
import uuid

from estflow.core import dtypes
from estflow.core.func_graph import FuncGraph
from estflow.core.graph import GraphKeys, Operation, Tensor, get_default_graph, name_scope
from estflow.core.ops import (
    array_ops,
    cast_ops,
    comparison_ops,
    control_flow_ops,
    fill_ops,
    hash_ops,
    math_ops,
    string_ops,
)
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.registry import apply_op
from estflow.core.sparse_tensor import SparseTensor


def tables_initializer(name="init_all_tables") -> Operation:
    """One op running every table initializer of the default graph (a NoOp if there is none),
    as `tf.tables_initializer`: run it once per session before any lookup."""
    initializers = get_default_graph().get_collection(GraphKeys.TABLE_INITIALIZERS)
    if initializers:
        return control_flow_ops.group(*initializers, name=name)
    return control_flow_ops.no_op(name=name)


def initialize_all_tables(name="init_all_tables") -> Operation:
    """Deprecated TF1 name of `tables_initializer`."""
    return tables_initializer(name)


def check_table_dtypes(table, key_dtype, value_dtype) -> None:
    """TypeError unless `key_dtype` and `value_dtype` are the table's."""
    if key_dtype.base_dtype != table.key_dtype:
        raise TypeError(f"Invalid key dtype for table, expected {table.key_dtype} but got {key_dtype}.")
    if value_dtype.base_dtype != table.value_dtype:
        raise TypeError(f"Invalid value dtype for table, expected {table.value_dtype} but got {value_dtype}.")


def _outermost(graph):
    while isinstance(graph, FuncGraph):
        graph = graph.outer_graph
    return graph


@contextlib.contextmanager
def _init_scope():
    """TF's `init_scope` for tables: build in the outermost graph (out of any function graph),
    outside control dependencies and `tf.cond` branches, under the current name scope."""
    g = get_default_graph()
    outer = _outermost(g)
    scope = g.get_name_scope()
    with outer.as_default(), outer.control_dependencies(None), outer.name_scope(scope + "/" if scope else None):
        yield


def _in_function() -> bool:
    return isinstance(get_default_graph(), FuncGraph)


def _lifted():
    """`_init_scope()` inside a function graph or a `tf.cond` branch, where a table's vocabulary is
    built beside the table (a branch's constants would wait for its predicate); else nothing."""
    g = get_default_graph()
    return _init_scope() if isinstance(g, FuncGraph) or g._cond_context is not None else contextlib.nullcontext()


def _refuse_anonymous(experimental_is_anonymous) -> None:
    if experimental_is_anonymous:
        raise ValueError("experimental_is_anonymous=True (an AnonymousHashTable freed with its last handle) is not "
                         "supported in estflow; leave it False: the table then lives as long as the session.")


class _KeyValueDtypes:
    """The key and value dtypes of a table or of what fills it."""

    def __init__(self, key_dtype, value_dtype):
        self._key_dtype = dtypes.as_dtype(key_dtype)
        self._value_dtype = dtypes.as_dtype(value_dtype)

    @property
    def key_dtype(self):
        return self._key_dtype

    @property
    def value_dtype(self):
        return self._value_dtype


class LookupInterface(_KeyValueDtypes):
    """A lookup table: `lookup(keys)` maps keys of `key_dtype` to values of `value_dtype`."""

    @property
    def name(self):
        raise NotImplementedError

    @property
    def resource_handle(self):
        raise NotImplementedError

    def size(self, name=None):
        raise NotImplementedError

    def lookup(self, keys, name=None):
        raise NotImplementedError

    def __getitem__(self, keys):
        return self.lookup(keys)


def _key_tensor(keys):
    """(the keys' dense values, the SparseTensor they came from or None)."""
    if isinstance(keys, SparseTensor):
        return keys.values, keys
    return convert_to_tensor(keys), None


def _like_keys(sparse: SparseTensor | None, values):
    return values if sparse is None else SparseTensor(sparse.indices, values, sparse.dense_shape)


class InitializableLookupTableBase(LookupInterface):
    """A table filled once by its initializer (`TableInitializerBase`), immutable afterwards."""

    def __init__(self, default_value, initializer):
        super().__init__(initializer.key_dtype, initializer.value_dtype)
        self._initializer = initializer
        with _init_scope():
            self._default_value = convert_to_tensor(default_value, dtype=self._value_dtype)
            if self._default_value.shape.ndims not in (None, 0):
                raise ValueError(f"default_value must be a scalar, got shape {self._default_value.shape}.")
            self._resource_handle = self._create_resource()
            self._init_op = self._initialize()

    def _create_resource(self):
        raise NotImplementedError

    def _initialize(self):
        return self._initializer.initialize(self)

    @property
    def resource_handle(self) -> Tensor:
        return self._resource_handle

    @property
    def default_value(self) -> Tensor:
        return self._default_value

    @property
    def initializer(self) -> Operation:
        return self._init_op

    def size(self, name=None) -> Tensor:
        """The number of entries (int64; 0 before initialization), as `LookupTableSizeV2`."""
        with name_scope(name, f"{self.name}_Size"):
            return apply_op("LookupTableSizeV2", self._handle(), name="LookupTableSizeV2")

    def _handle(self) -> Tensor:
        """The table handle for an op built now. Inside a function graph it is an outer-graph identity
        of the handle that waits for the table's initializer: the function captures it, so whatever
        runs the function (a Dataset's iterator initializer) initializes the table first."""
        if not _in_function():
            return self._resource_handle
        if getattr(self, "_ready_handle", None) is None:
            with _init_scope(), get_default_graph().control_dependencies([self._init_op]):
                self._ready_handle = array_ops.identity(self._resource_handle, name="ready_handle")
        return self._ready_handle

    def lookup(self, keys, name=None):
        """The value of each key, `default_value` for absent keys (`LookupTableFindV2`); a
        SparseTensor of keys gives a SparseTensor of values with the same indices."""
        key_tensor, sparse = _key_tensor(keys)
        if key_tensor.dtype != self._key_dtype:
            raise TypeError(f"Dtype of argument `keys` must be {self._key_dtype}, received: {key_tensor.dtype}")
        with name_scope(name, f"{self.name}_Lookup"):
            values = apply_op("LookupTableFindV2", self._handle(), key_tensor, self._default_value,
                              name="LookupTableFindV2")
        return _like_keys(sparse, values)


class StaticHashTable(InitializableLookupTableBase):
    """An immutable hash table from an initializer, as TF1's `tf.lookup.StaticHashTable`.

        init = tf.lookup.KeyValueTensorInitializer(["a", "b"], [1, 2])
        table = tf.lookup.StaticHashTable(init, default_value=-1)
        out = table.lookup(tf.constant(["a", "c"]))     # [1, -1] once tf.tables_initializer() ran
    """

    def __init__(self, initializer, default_value, name=None, experimental_is_anonymous=False):
        _refuse_anonymous(experimental_is_anonymous)
        self._initializer = initializer
        # TF forces a shared name so that every kernel of this table finds one resource.
        self._shared_name = initializer._shared_name or f"hash_table_{uuid.uuid4()}"
        self._name = name or "hash_table"
        self._table_name = None
        super().__init__(default_value, initializer)
        self._value_shape = self._default_value.shape

    def _create_resource(self) -> Tensor:
        handle = apply_op("HashTableV2", name=self._name, shared_name=self._shared_name,
                          key_dtype=self._initializer.key_dtype, value_dtype=self._initializer.value_dtype)
        self._table_name = handle.op.name.split("/")[-1]
        return handle

    @property
    def name(self):
        return self._table_name

    def export(self, name=None):
        """(keys, values) of every entry, as `LookupTableExportV2`."""
        with name_scope(name, f"{self.name}_Export"):
            keys, values = apply_op("LookupTableExportV2", self._resource_handle, name="LookupTableExportV2",
                                    Tkeys=self._key_dtype, Tvalues=self._value_dtype)
        return keys, values


class HashTable(StaticHashTable):
    """TF1's `tf.contrib.lookup.HashTable`: a `StaticHashTable` (with TF 1.x's `shared_name` argument)
    whose initializer is also `init`."""

    def __init__(self, initializer, default_value, shared_name=None, name=None):
        self._explicit_shared_name = shared_name
        super().__init__(initializer, default_value, name=name)

    def _create_resource(self) -> Tensor:
        if self._explicit_shared_name:
            self._shared_name = self._explicit_shared_name
        return super()._create_resource()

    @property
    def init(self) -> Operation:
        return self.initializer


class TableInitializerBase(_KeyValueDtypes):
    """What fills a table: its key and value dtypes and `initialize(table)` -> the init op."""

    def initialize(self, table):
        raise NotImplementedError

    @property
    def _shared_name(self) -> str:
        return ""


class KeyValueTensorInitializer(TableInitializerBase):
    """Fills a table from a tensor of keys and one of values (`LookupTableImportV2`), as
    `tf.lookup.KeyValueTensorInitializer`. Duplicate keys with different values fail at run time
    (FailedPreconditionError), as in TF."""

    def __init__(self, keys, values, key_dtype=None, value_dtype=None, name=None):
        with _lifted():
            self._keys = convert_to_tensor(keys, dtype=key_dtype, name="keys")
            self._values = convert_to_tensor(values, dtype=value_dtype, name="values")
        self._name = name if name is not None else "key_value_init"
        super().__init__(self._keys.dtype, self._values.dtype)

    def initialize(self, table) -> Operation:
        check_table_dtypes(table, self._keys.dtype, self._values.dtype)
        with name_scope(self._name):
            init_op = apply_op("LookupTableImportV2", table.resource_handle, self._keys, self._values,
                               name="LookupTableImportV2")
        get_default_graph().add_to_collection(GraphKeys.TABLE_INITIALIZERS, init_op)
        return init_op


class TextFileIndex:
    """Which part of a vocabulary file's line is the key or the value: a column >= 0, or these."""

    WHOLE_LINE = -2
    LINE_NUMBER = -1


class TextFileInitializer(TableInitializerBase):
    """Fills a table from a text file, one entry per line (`InitializeTableFromTextFileV2`), as
    `tf.lookup.TextFileInitializer`: `key_index` / `value_index` pick a `delimiter`-separated
    column, the whole line (`TextFileIndex.WHOLE_LINE`) or the line number (`LINE_NUMBER`).
    A constant filename is recorded in `ASSET_FILEPATHS` (a SavedModel asset).

        init = tf.lookup.TextFileInitializer("vocab.txt", tf.string, tf.lookup.TextFileIndex.WHOLE_LINE,
                                             tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER)
    """

    def __init__(self, filename, key_dtype, key_index, value_dtype, value_index, vocab_size=None, delimiter="\t",
                 name=None, value_index_offset=0):
        if not isinstance(filename, Tensor) and not filename:
            raise ValueError("`filename` argument required for tf.lookup.TextFileInitializer")
        self._filename_arg = filename
        key_dtype, value_dtype = dtypes.as_dtype(key_dtype), dtypes.as_dtype(value_dtype)
        if key_index < -2:
            raise ValueError(f"`key_index` should be >= -2, received: {key_index}.")
        if key_index == TextFileIndex.LINE_NUMBER and key_dtype != dtypes.int64:
            raise ValueError(f"`key_dtype` must be int64 if `key_index` is {TextFileIndex.LINE_NUMBER}, "
                             f"received: {key_dtype}")
        if key_index == TextFileIndex.WHOLE_LINE and not key_dtype.is_integer and key_dtype != dtypes.string:
            raise ValueError(f"`key_dtype` should be either integer or string for `key_index` "
                             f"{TextFileIndex.WHOLE_LINE}, received: {key_dtype}")
        if value_index < -2:
            raise ValueError(f"`value_index` should be >= -2, received: {value_index}")
        if value_index == TextFileIndex.LINE_NUMBER and value_dtype != dtypes.int64:
            raise ValueError(f"`value_dtype` must be int64 for `value_index` {TextFileIndex.LINE_NUMBER}, "
                             f"received: {value_dtype}")
        if value_index == TextFileIndex.WHOLE_LINE and not value_dtype.is_integer and value_dtype != dtypes.string:
            raise ValueError(f"`value_dtype` should be either integer or string for `value_index` "
                             f"{TextFileIndex.WHOLE_LINE}, received: {value_dtype}")
        if vocab_size is not None and vocab_size <= 0:
            raise ValueError(f"`vocab_size` should be > 0, received: {vocab_size}")
        self._key_index, self._value_index = key_index, value_index
        self._vocab_size, self._delimiter, self._name = vocab_size, delimiter, name
        self._offset = value_index_offset
        super().__init__(key_dtype, value_dtype)

    def initialize(self, table) -> Operation:
        check_table_dtypes(table, self.key_dtype, self.value_dtype)
        with name_scope(self._name, "text_file_init"):
            filename = convert_to_tensor(self._filename_arg, dtype=dtypes.string, name="asset_filepath")
            init_op = apply_op("InitializeTableFromTextFileV2", table.resource_handle, filename,
                               name="InitializeTableFromTextFileV2", key_index=self._key_index,
                               value_index=self._value_index,
                               vocab_size=-1 if self._vocab_size is None else self._vocab_size,
                               delimiter=self._delimiter, offset=self._offset)
        graph = get_default_graph()
        graph.add_to_collection(GraphKeys.TABLE_INITIALIZERS, init_op)
        if filename.op.type == "Const":  # a fed filename is no asset of the graph
            graph.add_to_collection(GraphKeys.ASSET_FILEPATHS, filename)
        return init_op

    @property
    def _shared_name(self) -> str:
        # TF: hash_table_<filename>[_<vocab_size>]_<key_index>_<value_index>[_<offset>], so tables of one
        # file share one resource.
        parts = [self._filename_arg] + ([self._vocab_size] if self._vocab_size else [])
        parts += [self._key_index, self._value_index] + ([self._offset] if self._offset else [])
        return "hash_table_" + "_".join(str(p) for p in parts)


class TextFileStringTableInitializer(TextFileInitializer):
    """An int64 id -> string table from a text file (line number -> whole line by default)."""

    def __init__(self, filename, key_column_index=TextFileIndex.LINE_NUMBER,
                 value_column_index=TextFileIndex.WHOLE_LINE, vocab_size=None, delimiter="\t",
                 name="text_file_string_table_init"):
        super().__init__(filename, dtypes.int64, key_column_index, dtypes.string, value_column_index,
                         vocab_size=vocab_size, delimiter=delimiter, name=name)


class TextFileIdTableInitializer(TextFileInitializer):
    """A string (or integer) -> int64 id table from a text file (whole line -> line number by default)."""

    def __init__(self, filename, key_column_index=TextFileIndex.WHOLE_LINE,
                 value_column_index=TextFileIndex.LINE_NUMBER, vocab_size=None, delimiter="\t",
                 name="text_file_id_table_init", key_dtype=dtypes.string):
        super().__init__(filename, key_dtype, key_column_index, dtypes.int64, value_column_index,
                         vocab_size=vocab_size, delimiter=delimiter, name=name)


class HasherSpec(collections.namedtuple("HasherSpec", ["hasher", "key"])):
    """Which hash gives out-of-vocabulary buckets: "fasthash", "legacy" or "stronghash" (with `key`)."""

    __slots__ = ()


FastHashSpec = HasherSpec("fasthash", None)


class StrongHashSpec(HasherSpec):
    """The keyed SipHash for out-of-vocabulary buckets: `key` is two unsigned integers."""

    __slots__ = ()

    def __new__(cls, key):
        if len(key) != 2:
            raise ValueError(f"`key` must have size 2, received {len(key)}")
        if not all(isinstance(k, int) for k in key):
            raise TypeError(f"Invalid key {key}. Must be unsigned integer values.")
        return super().__new__(cls, "stronghash", key)


def _as_string(tensor: Tensor) -> Tensor:
    return tensor if tensor.dtype == dtypes.string else string_ops.as_string(tensor)


def _hash_bucket_fn(hasher_spec):
    if not isinstance(hasher_spec, HasherSpec):
        raise TypeError(f"`hasher_spec` must be of type HasherSpec, got {type(hasher_spec)}.")
    if hasher_spec.hasher == "fasthash":
        return hash_ops.string_to_hash_bucket_fast
    if hasher_spec.hasher == "legacy":
        return hash_ops.string_to_hash_bucket
    if hasher_spec.hasher == "stronghash":
        return functools.partial(hash_ops.string_to_hash_bucket_strong, key=hasher_spec.key)
    raise ValueError(f"Found unknown hasher {hasher_spec.hasher} in `hasher_spec`")


class _OovTable(LookupInterface):
    """What IdTableWithHashBuckets and StaticVocabularyTable share: a vocabulary table (or none) whose
    misses become `num_oov_buckets` hash buckets numbered after the vocabulary."""

    _table: StaticHashTable | None
    _num_oov_buckets: int
    _table_name: str | None

    def _oov_lookup(self, keys, name, bucket_fn):
        key_tensor, sparse = _key_tensor(keys)
        if key_tensor.dtype != self._key_dtype:
            raise TypeError(f"Dtype of argument `keys` must be {self._key_dtype}, received: {key_tensor.dtype}")
        values = key_tensor
        if self._table is not None and self._table.key_dtype == dtypes.int64 and values.dtype != dtypes.int64:
            values = cast_ops.cast(values, dtypes.int64)
        if self._num_oov_buckets == 0:
            return _like_keys(sparse, self._table.lookup(values, name=name))
        with name_scope(name, f"{self.name}_Lookup"):
            buckets = bucket_fn(_as_string(values), num_buckets=self._num_oov_buckets, name="hash_bucket")
            if self._table is not None:
                ids = self._table.lookup(values)
                buckets = math_ops.add(buckets, self._table.size())
                is_id_non_default = comparison_ops.not_equal(ids, self._table.default_value)
                ids = comparison_ops.where_v2(is_id_non_default, ids, buckets)
            else:
                ids = buckets
        return _like_keys(sparse, ids)

    @property
    def name(self):
        return self._table_name

    @property
    def resource_handle(self):
        return None if self._table is None else self._table.resource_handle

    @property
    def initializer(self) -> Operation:
        if self._table is not None:
            return self._table.initializer
        with name_scope(None, "init"):
            return control_flow_ops.no_op()

    def size(self, name=None) -> Tensor:
        """Vocabulary entries plus out-of-vocabulary buckets."""
        with name_scope(name, f"{self.name}_Size"):
            if self._table is not None:
                table_size = self._table.size()
            else:
                table_size = convert_to_tensor(0, dtype=dtypes.int64)
            return table_size + self._num_oov_buckets


def _check_oov_key_dtypes(table_key_dtype, value_dtype, key_dtype) -> None:
    if table_key_dtype not in (dtypes.int64, dtypes.string):
        raise TypeError(f"Invalid `key_dtype`, expected one of {(dtypes.int64, dtypes.string)}, received "
                        f"{table_key_dtype}.")
    if table_key_dtype.is_integer != key_dtype.is_integer:
        raise TypeError(f"Invalid `key dtype`, expected {'integer' if key_dtype.is_integer else 'non-integer'} but "
                        f"got {table_key_dtype}.")
    if value_dtype != dtypes.int64:
        raise TypeError(f"Invalid `value_dtype`: expected int64 but got {value_dtype}.")


class IdTableWithHashBuckets(_OovTable):
    """A string (or integer) -> id table whose out-of-vocabulary keys go to `num_oov_buckets`
    hash buckets after the vocabulary's ids, as TF1's `tf.contrib.lookup.IdTableWithHashBuckets`.
    With `table=None`, every key is hashed."""

    def __init__(self, table, num_oov_buckets, hasher_spec=FastHashSpec, name=None, key_dtype=None):
        if name:
            name = name.rstrip("/")
        if table:
            key_dtype = table.key_dtype if key_dtype is None else dtypes.as_dtype(key_dtype)
            _check_oov_key_dtypes(table.key_dtype, table.value_dtype, key_dtype)
            name = name or table.name
        else:
            if num_oov_buckets <= 0:
                raise ValueError("`oov_buckets` must be > 0 if no `table` is supplied.")
            key_dtype = dtypes.string if key_dtype is None else dtypes.as_dtype(key_dtype)
            name = name or "hash_bucket"
        if not key_dtype.is_integer and key_dtype != dtypes.string:
            raise TypeError(f"Invalid `key_dtype`, expected integer or string, got {key_dtype}.")
        self._table = table or None
        self._num_oov_buckets = num_oov_buckets
        if not isinstance(hasher_spec, HasherSpec):
            raise TypeError(f"`hasher_spec` must be of type HasherSpec, got {type(hasher_spec)}.")
        self._hasher_spec = hasher_spec
        self._table_name = name.split("/")[-1] if name else None
        super().__init__(key_dtype, dtypes.int64)

    @property
    def init(self) -> Operation:
        return self.initializer

    def lookup(self, keys, name=None):
        """Each key's id: its vocabulary id, or vocabulary size + its hash bucket."""
        return self._oov_lookup(keys, name, _hash_bucket_fn(self._hasher_spec))


class StaticVocabularyTable(_OovTable):
    """A vocabulary (from `initializer`, values int64) whose misses go to `num_oov_buckets` buckets of
    the FarmHash of the key, as TF1's `tf.lookup.StaticVocabularyTable`.

        init = tf.lookup.KeyValueTensorInitializer(["emerson", "lake"], tf.constant([0, 1], tf.int64))
        table = tf.lookup.StaticVocabularyTable(init, num_oov_buckets=5)
    """

    def __init__(self, initializer, num_oov_buckets, lookup_key_dtype=None, name=None,
                 experimental_is_anonymous=False):
        _refuse_anonymous(experimental_is_anonymous)
        if num_oov_buckets <= 0:
            raise ValueError("`num_oov_buckets` must be > 0.")
        if name:
            name = name.rstrip("/")
        if initializer:
            lookup_key_dtype = initializer.key_dtype if lookup_key_dtype is None else dtypes.as_dtype(
                lookup_key_dtype)
            _check_oov_key_dtypes(initializer.key_dtype, initializer.value_dtype, lookup_key_dtype)
            self._table = HashTable(initializer, default_value=-1)
            name = name or self._table.name
        else:
            lookup_key_dtype = dtypes.string
            self._table = None
            name = name or "hash_bucket"
        if not lookup_key_dtype.is_integer and lookup_key_dtype != dtypes.string:
            raise TypeError(f"Invalid `key_dtype`, expected integer or string, got {lookup_key_dtype}")
        self._num_oov_buckets = num_oov_buckets
        self._table_name = name.split("/")[-1] if name else None
        super().__init__(lookup_key_dtype, dtypes.int64)

    def lookup(self, keys, name=None):
        """Each key's id: its vocabulary id, or the table's size + the key's Fingerprint64 bucket."""
        return self._oov_lookup(keys, name, hash_ops.string_to_hash_bucket_fast)


def index_table_from_file(vocabulary_file=None, num_oov_buckets=0, vocab_size=None, default_value=-1,
                          hasher_spec=FastHashSpec, key_dtype=dtypes.string, name=None,
                          key_column_index=TextFileIndex.WHOLE_LINE, value_column_index=TextFileIndex.LINE_NUMBER,
                          delimiter="\t"):
    """A table mapping each line of `vocabulary_file` to its line number (0-based), misses to
    `default_value` or to `num_oov_buckets` hash buckets, as TF1's `index_table_from_file`.

        table = tf.contrib.lookup.index_table_from_file("vocab.txt", num_oov_buckets=1)
        ids = table.lookup(tf.constant(["emerson", "king"]))
    """
    if vocabulary_file is None or (isinstance(vocabulary_file, str) and not vocabulary_file):
        raise ValueError("`vocabulary_file` must be specified and must not be empty.")
    if num_oov_buckets < 0:
        raise ValueError(f"num_oov_buckets must be greater or equal than 0, got {num_oov_buckets}.")
    if vocab_size is not None and vocab_size < 1:
        raise ValueError(f"`vocab_size` must be greater than 0, got {vocab_size} for vocabulary_file: "
                         f"{vocabulary_file}.")
    key_dtype = dtypes.as_dtype(key_dtype)
    if not key_dtype.is_integer and key_dtype != dtypes.string:
        raise TypeError("Dtype for `keys` should be either integer or string.")
    with name_scope(name, "string_to_index"):
        with name_scope(None, "hash_table"):
            init = TextFileIdTableInitializer(
                vocabulary_file, vocab_size=vocab_size, key_dtype=dtypes.int64 if key_dtype.is_integer else key_dtype,
                name="table_init", key_column_index=key_column_index, value_column_index=value_column_index,
                delimiter=delimiter)
            table = StaticHashTable(init, default_value)
        if num_oov_buckets:
            table = IdTableWithHashBuckets(table, num_oov_buckets=num_oov_buckets, hasher_spec=hasher_spec,
                                           key_dtype=key_dtype)
        return table


def index_table_from_tensor(vocabulary_list, num_oov_buckets=0, default_value=-1, hasher_spec=FastHashSpec,
                            dtype=dtypes.string, name=None):
    """A table mapping each element of the 1-D `vocabulary_list` to its position, misses to
    `default_value` or to `num_oov_buckets` hash buckets, as TF1's `index_table_from_tensor`
    (`categorical_column_with_vocabulary_list` uses it). Duplicates fail when initialized.

        table = tf.contrib.lookup.index_table_from_tensor(["emerson", "lake", "palmer"], num_oov_buckets=1)
    """
    if vocabulary_list is None:
        raise ValueError("`vocabulary_list` must be specified.")
    if num_oov_buckets < 0:
        raise ValueError(f"`num_oov_buckets` must be greater or equal than 0, got {num_oov_buckets}.")
    dtype = dtypes.as_dtype(dtype).base_dtype
    if not dtype.is_integer and dtype != dtypes.string:
        raise TypeError("`dtype` must either be integer or string.")
    with _lifted(), name_scope(name, "string_to_index"):
        keys = convert_to_tensor(vocabulary_list)
        if keys.dtype.is_integer != dtype.is_integer:
            raise ValueError(f"Invalid `dtype`: Expected {'integer' if dtype.is_integer else 'non-integer'}, "
                             f"got {keys.dtype}.")
        if not dtype.is_integer and keys.dtype != dtype:
            raise ValueError(f"Invalid `dtype`: Expected {dtype}, got {keys.dtype}.")
        num_elements = array_ops.size(keys)
        values = cast_ops.cast(fill_ops.range_(num_elements), dtypes.int64)
        with name_scope(None, "hash_table"):
            table_keys = cast_ops.cast(keys, dtypes.int64) if keys.dtype.is_integer else keys
            init = KeyValueTensorInitializer(table_keys, values, table_keys.dtype, dtypes.int64, name="table_init")
            table = StaticHashTable(init, default_value)
    if num_oov_buckets:
        table = IdTableWithHashBuckets(table, num_oov_buckets=num_oov_buckets, hasher_spec=hasher_spec,
                                       key_dtype=dtype)
    return table


def index_to_string_table_from_file(vocabulary_file, vocab_size=None, default_value="UNK", name=None,
                                    key_column_index=TextFileIndex.LINE_NUMBER,
                                    value_column_index=TextFileIndex.WHOLE_LINE, delimiter="\t"):
    """A table mapping int64 ids to the lines of `vocabulary_file` (`default_value` beyond it), as
    TF1's `index_to_string_table_from_file`."""
    if vocabulary_file is None or (isinstance(vocabulary_file, str) and not vocabulary_file):
        raise ValueError("`vocabulary_file` must be specified and must not be empty.")
    if vocab_size is not None and vocab_size < 1:
        raise ValueError(f"`vocab_size` must be greater than 0, got {vocab_size}.")
    with name_scope(name, "index_to_string"):
        init = TextFileStringTableInitializer(vocabulary_file, vocab_size=vocab_size, name="table_init",
                                              key_column_index=key_column_index,
                                              value_column_index=value_column_index, delimiter=delimiter)
        return StaticHashTable(init, default_value)


def index_to_string_table_from_tensor(vocabulary_list, default_value="UNK", name=None):
    """A table mapping int64 ids to the elements of the 1-D `vocabulary_list` (`default_value`
    beyond it), as TF1's `index_to_string_table_from_tensor`."""
    if vocabulary_list is None:
        raise ValueError("`vocabulary_list` must be specified.")
    with _lifted(), name_scope(name, "index_to_string"):
        vocabulary_list = convert_to_tensor(vocabulary_list, dtype=dtypes.string)
        num_elements = array_ops.size(vocabulary_list)
        keys = cast_ops.cast(fill_ops.range_(num_elements), dtypes.int64)
        init = KeyValueTensorInitializer(keys, vocabulary_list, dtypes.int64, dtypes.string, name="table_init")
        return StaticHashTable(init, default_value)
