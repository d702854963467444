"""`tf.data.Options`: pipeline-wide settings attached with `Dataset.with_options`."""

from __future__ import annotations


class OptimizationOptions:
    """`tf.data.experimental.OptimizationOptions`; estflow reads `map_and_batch_fusion` only.

    map_and_batch_fusion=False turns off running row-wise map/filter functions once per
    batch (see estflow/data/tracing.py): every element then goes through the function alone.
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
            for key in ("experimental_deterministic", "experimental_slack", "experimental_stats",
                        "experimental_distribute"):
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
                self.experimental_deterministic, self.experimental_slack)
