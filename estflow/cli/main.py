"""The `estflow` command: train, evaluate, predict, export, serve and inspect from a TOML config.

    estflow quickstart                       # a synthetic census-like table, end to end
    estflow train census.toml --set train.epochs=3
    estflow evaluate census.toml
    estflow predict census.toml --input new.csv --output predictions.jsonl
    estflow inspect checkpoint model/

A mistake prints one line (`error: ...`) and exits non-zero; `--verbose` adds the traceback
and the Estimator's log. Ctrl-C during `train` keeps a checkpoint at the current step and
says how to resume.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import logging
import math
import os
import shutil
import sys
import tempfile
import traceback

import click

from estflow.cli import config as config_lib
from estflow.cli import export as export_lib
from estflow.cli import inspect_files
from estflow.cli import quickstart as quickstart_data
from estflow.cli import serve as serve_lib
from estflow.cli.build import all_columns, build_estimator, feature_columns
from estflow.cli.data import DataError, load_examples
from estflow.cli.progress import CountHook, Progress, ProgressHook
from estflow.core import errors
from estflow.feature_columns.input_layer import make_parse_example_spec
from estflow.library.versions import ESTFLOW_VERSION
from estflow.training import checkpoint_management
from estflow.training.checkpoint_utils import load_variable

EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130
_LOGGERS = ("tensorflow", "estflow")  # the Estimator's and the Saver's log


def _one_line(error: BaseException) -> str:
    text = error.message if isinstance(error, errors.OpError) else str(error)
    text = " ".join(text.strip().split("\n")[0].split()) or type(error).__name__
    if isinstance(error, (config_lib.ConfigError, DataError, inspect_files.InspectError)):
        return text
    return f"{type(error).__name__}: {text}"


class _Group(click.Group):
    """Turns any error of a command into one line and an exit code (the traceback with --verbose)."""

    def invoke(self, ctx):
        if ctx.parent is None:  # the top-level group: quiet the Estimator's log unless --verbose, for this call only
            loggers = [logging.getLogger(name) for name in _LOGGERS]
            levels = [logger.level for logger in loggers]
            for logger in loggers:
                logger.setLevel(logging.INFO if ctx.meta.get("estflow.verbose") else logging.ERROR)
            try:
                return self._invoke(ctx)
            finally:
                for logger, level in zip(loggers, levels):
                    logger.setLevel(level)
        return self._invoke(ctx)

    def _invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except Exception as error:  # every error becomes one line; --verbose shows where it came from
            if ctx.meta.get("estflow.verbose"):
                traceback.print_exc()
            click.echo(f"error: {_one_line(error)}", err=True)
            ctx.exit(EXIT_USAGE if isinstance(error, config_lib.ConfigError) else EXIT_ERROR)


def _set_verbose(ctx, _param, value):
    if value:
        ctx.meta["estflow.verbose"] = True
        for name in _LOGGERS:
            logging.getLogger(name).setLevel(logging.INFO)
        if not logging.getLogger().handlers:
            logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    return value


verbose_option = click.option("--verbose", "-v", is_flag=True, expose_value=False, is_eager=True,
                              callback=_set_verbose, help="Show tracebacks and the Estimator's log.")


def config_options(fn):
    """CONFIG, --set, --estimator and --print-config: what every config-driven command takes."""
    @click.argument("config_path", metavar="CONFIG", type=click.Path(dir_okay=False))
    @click.option("--set", "-s", "overrides", multiple=True, metavar="KEY=VALUE",
                  help="Override a config value, e.g. --set train.batch_size=64 --set estimator.params.n_classes=3 "
                       "(TOML syntax: numbers, true/false, [lists], \"strings\").")
    @click.option("--estimator", "factory", default="", metavar="MODULE:FUNCTION",
                  help="Your own Estimator: a function (or class) returning a tf.estimator.Estimator, called with "
                       "the arguments it declares among feature_columns, columns, config, model_dir, params.")
    @click.option("--print-config", is_flag=True, help="Print the resolved config (after --set) as TOML and exit.")
    @verbose_option
    @functools.wraps(fn)
    def wrapper(config_path, overrides, factory, print_config, **kwargs):
        config = config_lib.load(config_path, overrides)
        if factory:
            config.estimator.factory, config.estimator.name = factory, ""
        if print_config:
            click.echo(config_lib.to_toml(config), nl=False)
            return None
        return fn(config=config, config_path=config_path, overrides=overrides, **kwargs)
    return wrapper


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@verbose_option
@click.version_option(version=ESTFLOW_VERSION, prog_name="estflow")
def cli():
    """estflow: train, evaluate, predict, export and serve TF1-style Estimators from a TOML config.

    Start with `estflow quickstart`; `estflow COMMAND --help` describes each command.
    """


def _model(config, with_label: bool, which: str):
    """(estimator, examples) of a command, the data checked before anything is built or written."""
    config_lib.require(config, "run.model_dir")
    columns = feature_columns(config)
    spec = make_parse_example_spec(all_columns(columns))
    examples = load_examples(config, which, spec, with_label=with_label)
    return build_estimator(config, columns), examples


def _resume_command(config_path, overrides) -> str:
    return " ".join(["estflow", "train", config_path] + [f"--set {o}" for o in overrides])


@cli.command()
@config_options
def train(config, config_path, overrides):
    """Train the estimator of CONFIG on data.train; resumes from model_dir's latest checkpoint."""
    step, loss, latest = run_train(config, _resume_command(config_path, overrides))
    loss_text = f", loss {loss:.4g}" if loss is not None else ""
    click.echo(f"Trained to step {step}{loss_text}; checkpoint {latest}")


def run_train(config, resume_command: str):
    """Train as `estflow train` does: (global step, running loss, latest checkpoint)."""
    config_lib.require(config, "data.train", "data.label")
    estimator, examples = _model(config, True, "train")
    settings = config.train
    start = _global_step(estimator.model_dir)
    epochs = settings.epochs or None
    if epochs is None and settings.steps is None and settings.max_steps is None:
        raise config_lib.ConfigError("train.epochs = 0 repeats the data forever; set train.steps or "
                                     "train.max_steps too")
    per_epoch = math.ceil(examples.num_examples / settings.batch_size)
    total = [n for n in (settings.steps, (settings.max_steps - start) if settings.max_steps else None,
                         per_epoch * epochs if epochs else None) if n is not None]
    progress = Progress("train", max(0, min(total)) if total else None)
    hook = ProgressHook(progress, first_step=start)
    input_fn = examples.input_fn(settings.batch_size, epochs, shuffle=settings.shuffle,
                                 compression=config.data.compression, seed=config.run.tf_random_seed)
    click.echo(f"Training {type(estimator).__name__} on {examples.num_examples} examples "
               f"({', '.join(examples.paths)}) into {estimator.model_dir}", err=True)
    try:
        estimator.train(input_fn, hooks=[hook], steps=settings.steps, max_steps=settings.max_steps)
    except KeyboardInterrupt:
        progress.close()
        step = _global_step(estimator.model_dir)
        click.echo(f"Training interrupted at step {step}; the checkpoint is in {estimator.model_dir}. "
                   f"Resume with: {resume_command}", err=True)
        sys.exit(EXIT_INTERRUPTED)
    progress.close()
    return (_global_step(estimator.model_dir), hook.running_loss,
            checkpoint_management.latest_checkpoint(estimator.model_dir))


def _global_step(model_dir) -> int:
    checkpoint = checkpoint_management.latest_checkpoint(model_dir) if model_dir else None
    if not checkpoint:
        return 0
    try:
        return int(load_variable(checkpoint, "global_step"))
    except (errors.NotFoundError, ValueError):
        return 0


def _format_metric(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _json_ready(value):
    """numpy values as JSON (bytes as text, arrays as lists)."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    return value


@cli.command()
@config_options
@click.option("--checkpoint", default=None, help="A checkpoint prefix to evaluate (default: model_dir's latest).")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="How to print the metrics.")
def evaluate(config, config_path, overrides, checkpoint, output_format):
    """Evaluate the latest checkpoint of CONFIG's model_dir on data.eval and print the metrics."""
    metrics = run_evaluate(config, config_path, checkpoint)
    if output_format == "json":
        click.echo(json.dumps(_json_ready(metrics), sort_keys=True))
        return
    click.echo(metrics_table(metrics))


def metrics_table(metrics: dict) -> str:
    width = max(len(k) for k in metrics)
    return "\n".join(f"{key:<{width}}  {_format_metric(_json_ready(metrics[key]))}" for key in sorted(metrics))


def run_evaluate(config, config_path: str, checkpoint=None) -> dict:
    """Evaluate as `estflow evaluate` does: the metrics dict."""
    config_lib.require(config, "data.eval", "data.label")
    estimator, examples = _model(config, True, "eval")
    checkpoint = checkpoint or checkpoint_management.latest_checkpoint(estimator.model_dir)
    if not checkpoint:
        raise DataError(f"no checkpoint in {estimator.model_dir}; run `estflow train {config_path}` first")
    settings = config.eval
    batches = math.ceil(examples.num_examples / settings.batch_size)
    progress = Progress("evaluate", min(batches, settings.steps or batches), unit="batch")
    metrics = estimator.evaluate(examples.input_fn(settings.batch_size, 1, compression=config.data.compression),
                                 steps=settings.steps, hooks=[CountHook(progress)], checkpoint_path=checkpoint,
                                 name=settings.name or None)
    progress.close()
    return metrics


def _flat_row(prediction: dict) -> dict:
    """One CSV row: a key per scalar, key_0..key_n for a vector."""
    row = {}
    for key, value in prediction.items():
        value = _json_ready(value)
        if isinstance(value, list):
            flat = _flatten(value)
            if len(flat) == 1:
                row[key] = flat[0]
            else:
                row.update({f"{key}_{i}": v for i, v in enumerate(flat)})
        else:
            row[key] = value
    return row


def _flatten(values):
    out = []
    for v in values:
        out += _flatten(v) if isinstance(v, list) else [v]
    return out


def _output_format(output: str, chosen: str | None) -> str:
    if chosen:
        return chosen
    return "csv" if output.endswith(".csv") else "jsonl"


@cli.command()
@config_options
@click.option("--input", "inputs", multiple=True, metavar="PATH",
              help="Examples to predict (CSV, Parquet or TFRecord; default: data.predict).")
@click.option("--output", "-o", default="-", show_default=True, help="Where to write predictions; - is stdout.")
@click.option("--format", "output_format", type=click.Choice(["csv", "jsonl"]), default=None,
              help="Output format (default: from --output's extension, else jsonl).")
@click.option("--checkpoint", default=None, help="A checkpoint prefix (default: model_dir's latest).")
def predict(config, config_path, overrides, inputs, output, output_format, checkpoint):
    """Predict the examples of data.predict (or --input) with the latest checkpoint; CSV or JSON lines out."""
    if inputs:
        config.data.predict = [os.path.abspath(p) for p in inputs]
    fmt = _output_format(output, output_format)
    rows = run_predict(config, config_path, checkpoint)
    text = _render([_flat_row(row) if fmt == "csv" else row for row in rows], fmt)
    if output == "-":
        click.echo(text, nl=False)
        return
    folder = os.path.dirname(os.path.abspath(output))
    with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, suffix=".tmp") as f:
        f.write(text)
    os.replace(f.name, output)
    click.echo(f"Wrote {len(rows)} predictions to {output}", err=True)


def run_predict(config, config_path: str, checkpoint=None) -> list[dict]:
    """Predict as `estflow predict` does: one JSON-ready dict per example."""
    estimator, examples = _model(config, False, "predict")
    checkpoint = checkpoint or checkpoint_management.latest_checkpoint(estimator.model_dir)
    if not checkpoint:
        raise DataError(f"no checkpoint in {estimator.model_dir}; run `estflow train {config_path}` first")
    progress = Progress("predict", examples.num_examples, unit="example")
    predictions = estimator.predict(examples.input_fn(config.predict.batch_size, 1,
                                                      compression=config.data.compression),
                                    predict_keys=config.predict.keys or None, checkpoint_path=checkpoint)
    rows = []
    for prediction in predictions:
        rows.append(_json_ready(prediction))
        progress.update(len(rows))
    progress.close()
    return rows


def _render(rows: list, fmt: str) -> str:
    if fmt == "jsonl":
        return "".join(json.dumps(row) + "\n" for row in rows)
    header = []
    for row in rows:
        header += [k for k in row if k not in header]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


# --- export ------------------------------------------------------------------------------

@cli.command("export")
@config_options
@click.option("--export-dir", default=None, help="Where SavedModels go, in <dir>/<timestamp>/ (default: export.dir).")
@click.option("--receiver", type=click.Choice(["raw", "parsing"]), default=None,
              help="Serving input: raw (one input per feature, for REST rows) or parsing (serialized tf.Example); "
                   "default: export.receiver.")
@click.option("--checkpoint", default=None, help="A checkpoint prefix to export (default: model_dir's latest).")
def export_command(config, config_path, overrides, export_dir, receiver, checkpoint):
    """Export the latest checkpoint of CONFIG's model as a SavedModel, for `estflow serve`."""
    path = run_export(config, config_path, export_dir, receiver, checkpoint)
    click.echo(path)


def run_export(config, config_path: str, export_dir=None, receiver=None, checkpoint=None) -> str:
    """Export as `estflow export` does: the new SavedModel's folder."""
    config_lib.require(config, "run.model_dir")
    columns = feature_columns(config)
    estimator = build_estimator(config, columns)
    checkpoint = checkpoint or checkpoint_management.latest_checkpoint(estimator.model_dir)
    if not checkpoint:
        raise DataError(f"no checkpoint in {estimator.model_dir}; run `estflow train {config_path}` first")
    spec = make_parse_example_spec(all_columns(columns))
    receiver_fn = export_lib.serving_input_receiver_fn(spec, receiver or config.export.receiver)
    base = config.path(export_dir or config.export.dir) if not (export_dir and os.path.isabs(export_dir)) \
        else export_dir
    path = estimator.export_saved_model(base, receiver_fn, checkpoint_path=checkpoint)
    return os.fsdecode(path)


# --- serve -------------------------------------------------------------------------------

@cli.command(add_help_option=False, context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                                      "help_option_names": []})
@click.argument("flags", nargs=-1, type=click.UNPROCESSED)
def serve(flags):
    """Serve SavedModels over TensorFlow Serving's REST and gRPC APIs (TF Serving's flags; --help lists them).

    estflow serve --model_name=census --model_base_path=export --rest_api_port=8501 --port=8500
    """
    sys.exit(serve_lib.run_server(list(flags)))


# --- quickstart --------------------------------------------------------------------------

QUICKSTART_FILES = ("data", "model", "export", "census.toml")  # what --overwrite replaces


@cli.command()
@click.option("--dir", "folder", default="estflow-quickstart", show_default=True, type=click.Path(file_okay=False),
              help="Where to write the data, config, model and export.")
@click.option("--overwrite", is_flag=True, help="Replace an earlier quickstart's files in --dir.")
@click.option("--rows", default=4000, show_default=True, type=click.IntRange(min=100),
              help="Training examples to generate (evaluation: a quarter as many).")
@click.option("--epochs", default=5, show_default=True, type=click.IntRange(min=1), help="Passes over the data.")
@click.option("--estimator", "factory", default="", metavar="MODULE:FUNCTION",
              help="Train your own Estimator instead of the wide & deep DNNLinearCombinedClassifier.")
@verbose_option
def quickstart(folder, overwrite, rows, epochs, factory):
    """The whole cycle on a built-in census-like dataset: data, train, evaluate, predict, export, serve.

    Offline and in well under a minute: writes a synthetic table and a config to --dir, trains a wide & deep
    model, evaluates it, predicts a few rows, exports a SavedModel, serves it on a free loopback port and
    answers one REST request, then says where every file is and how to rerun each step.
    """
    folder = os.path.abspath(folder)
    existing = [name for name in QUICKSTART_FILES if os.path.exists(os.path.join(folder, name))]
    if existing and not overwrite:
        raise click.UsageError(f"{folder} already holds a quickstart ({', '.join(existing)}); "
                               f"pass --overwrite or another --dir")
    for name in existing:
        path = os.path.join(folder, name)
        shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    config_path = os.path.join(folder, "census.toml")
    paths = quickstart_data.write_dataset(os.path.join(folder, "data"), rows, max(rows // 4, 50))
    with open(config_path, "w") as f:
        f.write(quickstart_data.config_text())
    overrides = [f"train.epochs={epochs}"]
    config = config_lib.load(config_path, overrides)
    if factory:
        config.estimator.factory, config.estimator.name = factory, ""
    say = functools.partial(click.echo, err=False)
    say(f"1. Data: {rows} training, {max(rows // 4, 50)} evaluation rows of a census-like table in "
        f"{os.path.dirname(paths['train'])}")
    say(f"2. Config: {config_path}")
    step, loss, checkpoint = run_train(config, _resume_command(config_path, overrides))
    say(f"3. Trained {config.estimator.name or config.estimator.factory} to step {step} "
        f"(loss {loss:.4g}); checkpoint {checkpoint}")
    metrics = run_evaluate(config, config_path)
    say("4. Evaluated on data/eval.csv:")
    say("   " + metrics_table(metrics).replace("\n", "\n   "))
    predictions = run_predict(config, config_path)
    say(f"5. Predicted data/predict.csv: {len(predictions)} rows, the first: {json.dumps(_headline(predictions[0]))}")
    export_dir = run_export(config, config_path)
    say(f"6. Exported a SavedModel to {export_dir}")
    instances = _rest_instances(paths["predict"], config, 2)
    url, response = serve_lib.serve_once("census", os.path.dirname(export_dir), instances)
    say(f"7. Served it on {url.split('/v1/')[0]} and POSTed {{\"instances\": [2 rows of data/predict.csv]}} to "
        f"{url}:")
    for index, prediction in enumerate(response.get("predictions", [])):
        say(f"   row {index + 1}: {json.dumps(_headline(prediction))}")
    say("\nRerun any step on these files:")
    for command in ("train", "evaluate", "predict", "export"):
        say(f"   estflow {command} {config_path}")
    say(f"   estflow serve --model_name=census --model_base_path={os.path.dirname(export_dir)} --rest_api_port=8501")
    say(f"   estflow inspect saved-model {export_dir}")
    say(f"   estflow inspect checkpoint {config.path(config.run.model_dir)}")
    say(f"   estflow inspect events {config.path(config.run.model_dir)}")


def _headline(prediction: dict) -> dict:
    """The keys a reader looks at first (a classifier's class and probability), else all of them."""
    keys = [k for k in ("classes", "logistic", "probabilities", "predictions") if k in prediction]
    return {k: prediction[k] for k in keys} if keys else prediction


def _rest_instances(path: str, config, count: int) -> list[dict]:
    """The first `count` rows of a CSV as TF Serving REST instances, typed by data.types."""
    convert = {"float": float, "int": int, "string": str}
    with open(path, newline="") as f:
        rows = [row for _, row in zip(range(count), csv.DictReader(f))]
    return [{key: convert[config.data.types.get(key, "string")](value) for key, value in row.items()} for row in rows]


# --- inspect -----------------------------------------------------------------------------

@cli.group(cls=_Group)
def inspect():
    """Look inside estflow's (and TensorFlow's) files: checkpoints, event files, TFRecords, SavedModels."""


@inspect.command("checkpoint")
@click.argument("path")
@click.option("--tensor", "tensor_name", default=None, help="Print this tensor's value too.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@verbose_option
def inspect_checkpoint(path, tensor_name, output_format):
    """Variables of a checkpoint (a model_dir or a prefix): name, dtype, shape, like inspect_checkpoint."""
    prefix, rows = inspect_files.checkpoint_variables(path)
    if output_format == "json":
        click.echo(json.dumps({"checkpoint": prefix, "variables": [
            {"name": n, "dtype": d, "shape": s} for n, d, s in rows]}))
    else:
        click.echo(f"checkpoint: {prefix}")
        width = max([len(n) for n, _, _ in rows] + [8])
        click.echo(f"{'variable':<{width}}  {'dtype':<8}  shape")
        for name, dtype, shape in rows:
            click.echo(f"{name:<{width}}  {dtype:<8}  [{', '.join(map(str, shape))}]")
    if tensor_name:
        value = inspect_files.checkpoint_tensor(prefix, tensor_name)
        click.echo(f"tensor_name:  {tensor_name}\n{value}")


@inspect.command("events")
@click.argument("path")
@click.option("--tag", "tags", multiple=True, help="Only these tags.")
@click.option("--format", "output_format", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True)
@verbose_option
def inspect_events(path, tags, output_format):
    """Scalar summaries of TensorBoard event files (a file or a folder, searched recursively) as a table."""
    rows = [r for r in inspect_files.event_scalars(path) if not tags or r[2] in tags]
    if output_format == "json":
        for run, step, tag, value in rows:
            click.echo(json.dumps({"run": run, "step": step, "tag": tag, "value": value}))
        return
    if output_format == "csv":
        click.echo("run,step,tag,value")
        for run, step, tag, value in rows:
            click.echo(f"{run},{step},{tag},{value!r}")
        return
    run_w = max([len(r[0]) for r in rows] + [3])
    tag_w = max([len(r[2]) for r in rows] + [3])
    click.echo(f"{'run':<{run_w}}  {'step':>8}  {'tag':<{tag_w}}  value")
    for run, step, tag, value in rows:
        click.echo(f"{run:<{run_w}}  {step:>8}  {tag:<{tag_w}}  {value:.6g}")


@inspect.command("tfrecord")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--limit", "-n", type=int, default=None, help="Show at most this many records.")
@click.option("--compression", type=click.Choice(["", "GZIP", "ZLIB"]), default="", help="The file's compression.")
@verbose_option
def inspect_tfrecord(path, limit, compression):
    """Records of a TFRecord file as JSON lines ({feature: [values]} per tf.train.Example)."""
    for record in inspect_files.tfrecord_examples(path, limit, compression):
        click.echo(json.dumps(record))


@inspect.command("saved-model")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.option("--run", "inputs", default=None, metavar="JSON",
              help='Run a signature on these inputs instead, e.g. --run \'{"age": [39.0], "color": ["red"]}\' '
                   "(as saved_model_cli run); prints its outputs as JSON.")
@click.option("--signature-def", "signature", default="serving_default", show_default=True,
              help="The signature --run runs.")
@click.option("--tag-set", default="serve", show_default=True, help="The MetaGraphDef's tags, comma-separated.")
@verbose_option
def inspect_saved_model(path, inputs, signature, tag_set):
    """Signatures of a SavedModel, in `saved_model_cli show --all`'s layout; --run runs one on given inputs."""
    if inputs is None:
        click.echo(inspect_files.saved_model_show(path), nl=False)
        return
    try:
        values = json.loads(inputs)
    except json.JSONDecodeError as e:
        raise config_lib.ConfigError(f"--run takes a JSON object of input lists, e.g. '{{\"age\": [39.0]}}': {e}") \
            from None
    if not isinstance(values, dict):
        raise config_lib.ConfigError("--run takes a JSON object {input key: [values]}")
    outputs = inspect_files.saved_model_run(path, signature, values, tag_set)
    click.echo(json.dumps({key: _json_ready(value) for key, value in sorted(outputs.items())}))


def main(argv=None) -> int:
    """The console script: run the command line, return its exit code."""
    try:
        cli.main(args=argv, prog_name="estflow", standalone_mode=True)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    return 0
