"""`tf.data.Options`: pipeline-wide settings attached with `Dataset.with_options`."""

from __future__ import annotations

import enum


class AutotuneAlgorithm(enum.Enum):
    """Which algorithm TF's autotuner uses, as `tf.data.experimental.AutotuneAlgorithm` (TF's values).

    It tunes buffer sizes and parallelism only, so it never changes the elements; estflow's
    pipelines keep their own fixed settings whatever is chosen.
    """

    DEFAULT = 0
    HILL_CLIMB = 1
    GRADIENT_DESCENT = 2
    MAX_PARALLELISM = 3
    STAGE_BASED = 4


class ExternalStatePolicy(enum.Enum):
    """What saving an iterator does with state outside the pipeline, as `tf.data.experimental.ExternalStatePolicy`:
    WARN logs and saves the rest, IGNORE saves the rest silently, FAIL raises (TF's values)."""

    WARN = 0
    IGNORE = 1
    FAIL = 2


def _typed_option(name: str, kind, doc: str):
    """A property accepting only `kind` values (None until set), as TF's `options_lib.create_option`."""

    def get(self):
        return self._options.get(name)

    def set_(self, value):
        if not isinstance(value, kind):
            raise TypeError(f'Property "{name}" must be of type {kind}, got: {value} (type: {type(value)})')
        self._options[name] = value

    return property(get, set_, None, doc)


class AutotuneOptions:
    """`tf.data.experimental.AutotuneOptions` (`Options().autotune`): type-checked settings of TF's autotuner.

    They size TF's thread pools and buffers, which changes no element; estflow keeps them so a
    pipeline that sets them builds and runs unchanged.
    """

    enabled = _typed_option("enabled", bool, "Whether to tune performance knobs automatically (None: True).")
    cpu_budget = _typed_option("cpu_budget", int, "How many CPU cores the autotuner may use (None: all).")
    ram_budget = _typed_option("ram_budget", int, "How many bytes of RAM buffers may use (None: half).")
    autotune_algorithm = _typed_option("autotune_algorithm", AutotuneAlgorithm, "The algorithm (None: DEFAULT).")

    def __init__(self):
        object.__setattr__(self, "_options", {})

    def __setattr__(self, name, value):
        if not hasattr(type(self), name):
            raise AttributeError(f"Cannot set the property {name} on {type(self).__name__}.")
        object.__setattr__(self, name, value)

    def __eq__(self, other):
        if not isinstance(other, AutotuneOptions):
            return NotImplemented
        return self._options == other._options

    __hash__ = None


class OptimizationOptions:
    """`tf.data.experimental.OptimizationOptions`; estflow reads `map_and_batch_fusion` and `inject_prefetch`.

    map_and_batch_fusion=False turns off running row-wise map/filter functions once per
    batch (see estflow/data/tracing.py): every element then goes through the function alone.
    inject_prefetch=False (TF 2's default: True) keeps the pipeline in the iterator's process
    instead of a worker process producing its elements ahead (see estflow/data/worker.py).
    The other switches choose graph rewrites that only make TF's pipeline faster (the
    elements are the same), so setting them changes nothing here.
    """

    def __init__(self):
        self.apply_default_optimizations = None
        self.map_and_batch_fusion = None
        self.map_fusion = None
        self.map_parallelization = None
        self.map_vectorization = None
        self.noop_elimination = None
        self.parallel_batch = None
        self.shuffle_and_repeat_fusion = None
        self.filter_fusion = None
        self.hoist_random_uniform = None
        self.autotune = None
        self.inject_prefetch = None


class ThreadingOptions:
    """`tf.data.experimental.ThreadingOptions`: thread pool sizes, which cannot change the elements.

    estflow runs one producer thread per prefetch, whatever these say.
    """

    def __init__(self):
        self.max_intra_op_parallelism = None
        self.private_threadpool_size = None


class Options:
    """Settings for a whole input pipeline, as `tf.data.Options`.

        options = tf.data.Options()
        options.experimental_optimization.map_and_batch_fusion = False
        dataset = dataset.with_options(options)
    """

    def __init__(self):
        self.experimental_deterministic = None
        self.experimental_optimization = OptimizationOptions()
        self.experimental_threading = ThreadingOptions()
        self.experimental_slack = None
        self.experimental_stats = None
        self.experimental_distribute = None
        self.autotune = AutotuneOptions()
        self.experimental_external_state_policy = None

    def fusion_enabled(self) -> bool:
        opt = self.experimental_optimization
        return opt.map_and_batch_fusion is not False and opt.apply_default_optimizations is not False

    def merge(self, options: Options) -> Options:
        """These options with every setting `options` sets (not None) taking over."""
        out = Options()
        for source in (self, options):
            for group in ("experimental_optimization", "experimental_threading"):
                for key, value in vars(getattr(source, group)).items():
                    if value is not None:
                        setattr(getattr(out, group), key, value)
            for key, value in source.autotune._options.items():
                setattr(out.autotune, key, value)
            for key in ("experimental_deterministic", "experimental_slack", "experimental_stats",
                        "experimental_distribute", "experimental_external_state_policy"):
                value = getattr(source, key)
                if value is not None:
                    setattr(out, key, value)
        return out

    def __eq__(self, other):
        if not isinstance(other, Options):
            return NotImplemented
        return self._describe() == other._describe()

    __hash__ = None

    def _describe(self):
        return (vars(self.experimental_optimization), vars(self.experimental_threading),
                self.experimental_deterministic, self.experimental_slack, self.autotune._options,
                self.experimental_external_state_policy)
