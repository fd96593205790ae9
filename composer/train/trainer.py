"""`composer train`: trains the Music Transformer on token shards. The same script runs single-process on a
CPU and multi-GPU under `torchrun` (DDP). Resumable: state is saved to RUN/last.pt every few minutes.

  composer train --shards data/shards --run-dir runs/base --steps 6000
  torchrun --nproc_per_node 8 -m composer.train.trainer --shards data/shards --run-dir runs/big --d-model 512 ...
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import os
import re
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from composer.core.atomic import atomic_output
from composer.decode.model import ModelConfig, MusicTransformer
from composer.train.data.loader import ShardDataset


@dataclasses.dataclass
class TrainConfig:
    shards: str = "data/shards"  # the token shards (`composer data shards`)
    run_dir: str = "runs/base"  # checkpoints and logs (`--run-dir`: torchrun itself owns `--run-path`)
    steps: int = 6000  # total optimizer steps (the cosine schedule spans these)
    batch_size: int = 16  # sequences per step per process
    lr: float = 1e-3  # peak learning rate (AdamW), after the warm-up
    min_lr: float = 1e-4  # the cosine schedule's floor
    warmup: int = 200  # linear warm-up steps
    weight_decay: float = 0.1  # AdamW weight decay on matrices
    grad_clip: float = 1.0  # gradient norm clip
    eval_every: int = 250  # steps between validation losses
    eval_batches: int = 8  # validation batches each time
    save_every_seconds: float = 300.0  # a resumable checkpoint at least this often
    seed: int = 0  # data order and initialisation
    bf16: int = -1  # bf16 autocast: 1 on, 0 off, -1 where it is fast (a GPU, or a CPU with bf16 instructions)
    threads: int = 0  # CPU threads; 0 lets torch decide
    max_minutes: float = 0.0  # stop (and save) after this much wall time; 0: run all steps
    init_from: str = ""  # a shipped checkpoint to start a new run from (its vocabulary may be a prefix of ours)
    ensemble_weight: float = 1.0  # how much likelier a window of a version with several parts is drawn


def learning_rate(step: int, cfg: TrainConfig) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    progress = min(1.0, (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup))
    return cfg.min_lr + 0.5 * (cfg.lr - cfg.min_lr) * (1 + math.cos(math.pi * progress))


def loss_of(model: torch.nn.Module, batch: Any, device: torch.device, autocast: Any) -> torch.Tensor:
    with autocast:
        logits = model(batch.tokens.to(device), batch.condition.to(device))
    return F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), batch.targets.to(device).reshape(-1),
                           ignore_index=-100)


def train(cfg: TrainConfig, model_cfg: ModelConfig, log: Any = print) -> Path:
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    rank = int(os.environ.get("RANK", "0"))
    device = torch.device("cpu")
    if distributed:
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        torch.distributed.init_process_group(backend)
    if torch.cuda.is_available():
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    run = Path(cfg.run_dir)
    run.mkdir(parents=True, exist_ok=True)
    shards = Path(cfg.shards)
    train_data = ShardDataset(shards, 0, model_cfg.block_size, seed=cfg.seed + 1000 * rank,
                              ensemble_weight=cfg.ensemble_weight)
    valid_data = ShardDataset(shards, 1, model_cfg.block_size, seed=12345, transpose=False)
    model_cfg.vocab_size = len(train_data.tokenizer)
    model = MusicTransformer(model_cfg).to(device)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr, betas=(0.9, 0.95))
    step, tokens_seen = 0, 0
    state_path = run / "last.pt"
    if cfg.init_from and not state_path.exists():
        warm_start(model, cfg.init_from, train_data.tokenizer, log)
    if state_path.exists():
        state = torch.load(state_path, map_location=device, weights_only=False)
        free = {"block_size", "dropout"}  # no parameter shapes: a run may resume with a longer context
        saved = {k: v for k, v in state["model_args"].items() if k not in free}
        if saved != {k: v for k, v in dataclasses.asdict(model_cfg).items() if k not in free}:
            raise SystemExit(f"{state_path} was trained with other model settings: {state['model_args']}")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        step, tokens_seen = state["step"], state["tokens_seen"]
        train_data.rng = __import__("numpy").random.default_rng(cfg.seed + 1000 * rank + step)
        log(f"resumed {state_path} at step {step}")
    wrapped: torch.nn.Module = model
    if distributed:
        wrapped = torch.nn.parallel.DistributedDataParallel(model)
    bf16 = bf16_is_fast(device) if cfg.bf16 < 0 else bool(cfg.bf16)
    autocast = (torch.autocast(device.type, dtype=torch.bfloat16) if bf16 else contextlib.nullcontext())
    log(f"model {model.num_parameters() / 1e6:.2f} M parameters, {len(train_data)} training versions, "
        f"vocab {model_cfg.vocab_size}, device {device}")
    (run / "config.json").write_text(json.dumps({"train": dataclasses.asdict(cfg),
                                                 "model_args": dataclasses.asdict(model_cfg)}, indent=2))
    last_save = time.time()
    window_tokens, window_start = 0, time.time()

    def save() -> None:
        if rank != 0:
            return
        with atomic_output(state_path) as tmp:
            torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step,
                        "tokens_seen": tokens_seen, "model_args": dataclasses.asdict(model_cfg),
                        "train_args": dataclasses.asdict(cfg)}, tmp)

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("training"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[status]}"),
                  TimeRemainingColumn(), disable=rank != 0) as progress:
        task = progress.add_task("train", total=cfg.steps, completed=step, status="")
        deadline = time.time() + cfg.max_minutes * 60 if cfg.max_minutes else float("inf")
        while step < cfg.steps and time.time() < deadline:
            model.train()
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(step, cfg)
            batch = train_data.batch(cfg.batch_size)
            loss = loss_of(wrapped, batch, device, autocast)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            optimizer.step()
            step += 1
            counted = int((batch.targets != -100).sum())
            tokens_seen += counted
            window_tokens += counted
            record: dict[str, Any] = {"step": step, "loss": round(loss.item(), 4), "lr": learning_rate(step, cfg),
                                      "tokens_seen": tokens_seen, "time": round(time.time(), 1)}
            if step % cfg.eval_every == 0 or step == cfg.steps:
                record["valid_loss"] = round(evaluate(model, valid_data, cfg, device, autocast), 4)
            elapsed = time.time() - window_start
            if elapsed > 10:
                record["tokens_per_second"] = round(window_tokens / elapsed)
                window_tokens, window_start = 0, time.time()
            if rank == 0:
                with (run / "log.jsonl").open("a") as handle:
                    handle.write(json.dumps(record) + "\n")
                status = f"loss {record['loss']:.3f}"
                if "tokens_per_second" in record:
                    status += f"  {record['tokens_per_second']} tok/s"
                progress.update(task, completed=step, status=status)
            if time.time() - last_save > cfg.save_every_seconds or step == cfg.steps:
                save()
                last_save = time.time()
    save()
    if distributed:
        torch.distributed.destroy_process_group()
    return state_path


@torch.no_grad()
def warm_start(model: MusicTransformer, checkpoint: str, vocabulary: Any, log: Any = print) -> None:
    """Copy a shipped model's weights into `model`: every tensor of the same shape, and the embedding rows
    of the ids both vocabularies share (new tokens keep their fresh initialisation). The shipped
    vocabulary must be a prefix of the new one (control tokens are only ever appended)."""
    from composer.decode.checkpoint import load_shipped

    source, tokenizer, _ = load_shipped(checkpoint)
    if vocabulary.tokens[:len(tokenizer)] != tokenizer.tokens:
        raise SystemExit(f"--init-from {checkpoint}: its vocabulary is not a prefix of the shards' vocabulary")
    mine = model.state_dict()
    copied = 0
    for name, tensor in source.state_dict().items():
        if name not in mine:
            continue
        if mine[name].shape == tensor.shape:
            mine[name].copy_(tensor)
        elif name in ("embed.weight", "head.weight") and tensor.shape[1:] == mine[name].shape[1:] \
                and tensor.shape[0] <= mine[name].shape[0]:
            mine[name][:tensor.shape[0]].copy_(tensor)
        else:
            raise SystemExit(f"--init-from {checkpoint}: {name} is {tuple(tensor.shape)}, this model's is "
                             f"{tuple(mine[name].shape)} (give the same --d-model, --n-layer, --n-head, ...)")
        copied += 1
    log(f"started from {checkpoint} ({copied} tensors, {len(tokenizer)} of {mine['embed.weight'].shape[0]} tokens)")


@torch.no_grad()
def evaluate(model: MusicTransformer, data: ShardDataset, cfg: TrainConfig, device: torch.device, autocast: Any
             ) -> float:
    model.eval()
    data.rng = __import__("numpy").random.default_rng(12345)  # the same validation batches every time
    losses = [loss_of(model, data.batch(cfg.batch_size, dropout=False), device, autocast).item()
              for _ in range(cfg.eval_batches)]
    return sum(losses) / len(losses)


def export(run: Path, shards: Path, folder: Path) -> Path:
    """Ship a run: RUN/last.pt -> FOLDER/model.safetensors (fp16), config.json, tokenizer.json."""
    from composer.decode.checkpoint import save_shipped
    from composer.decode.known import record_known_programs
    from composer.decode.tokens import MusicTokenizer
    from composer.train.data.shards import training_notes_by_program

    state = torch.load(run / "last.pt", map_location="cpu", weights_only=False)
    model = MusicTransformer(ModelConfig(**state["model_args"]))
    model.load_state_dict(state["model"])
    valid = [json.loads(line)["valid_loss"] for line in (run / "log.jsonl").read_text().splitlines()
             if "valid_loss" in line]
    extra = {"trained_steps": state["step"], "tokens_seen": state["tokens_seen"],
             "last_valid_loss": valid[-1] if valid else None, "train_args": state["train_args"]}
    tokenizer = MusicTokenizer.load(shards / "tokenizer.json")
    save_shipped(model, tokenizer, folder, extra)
    record_known_programs(folder, training_notes_by_program(shards))
    return folder


def bf16_is_fast(device: torch.device) -> bool:
    """bf16 autocast where it pays: CUDA, or a CPU with AVX-512 BF16 or AMX instructions (elsewhere it
    emulates bf16 and runs several times slower than float32)."""
    if device.type == "cuda":
        return True
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(flag in flags for flag in ("avx512_bf16", "amx_bf16"))


def field_help(cls: type) -> dict[str, str]:
    """Each config field's comment (the dataclass's own documentation), as --help text."""
    import inspect

    found = re.findall(r"^\s+(\w+): [^#\n]*#\s*(.+)$", inspect.getsource(cls), flags=re.M)
    return {name: text.replace("%", "%%") for name, text in found}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="composer train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    group = p.add_argument_group("training")
    helps = field_help(TrainConfig)
    for f in dataclasses.fields(TrainConfig):
        group.add_argument(f"--{f.name.replace('_', '-')}", type=type(f.default), default=f.default,
                           help=f"{helps.get(f.name, '')} (default: %(default)s)")
    group = p.add_argument_group("model (a resumed run must be given the settings it was started with)")
    helps = field_help(ModelConfig)
    for f in dataclasses.fields(ModelConfig):
        if f.name != "vocab_size":
            group.add_argument(f"--{f.name.replace('_', '-')}", type=type(f.default), default=f.default,
                               help=f"{helps.get(f.name, '')} (default: %(default)s)")
    return p


def main(argv: list[str] | None = None) -> int:
    import sys

    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["export"]:
        export_parser = argparse.ArgumentParser(prog="composer train export")
        export_parser.add_argument("--run-dir", default="runs/base")
        export_parser.add_argument("--shards", default="data/shards")
        export_parser.add_argument("--name", default="base", help="folder under composer/checkpoints/")
        export_parser.add_argument("--force", action="store_true",
                                   help="replace a checkpoint that is already there (the shipped one included)")
        a = export_parser.parse_args(argv[1:])
        from composer.decode.checkpoint import CHECKPOINT_ROOT

        folder = CHECKPOINT_ROOT / a.name
        if (folder / "model.safetensors").exists() and not a.force:
            print(f"composer: error: checkpoint {a.name!r} exists ({folder}); export under another --name, "
                  "or give --force to replace it", file=sys.stderr)
            return 2
        print(export(Path(a.run_dir), Path(a.shards), folder))
        return 0
    if argv[:1] == ["known-programs"]:  # the instruments a shipped checkpoint's training data played
        known_parser = argparse.ArgumentParser(prog="composer train known-programs")
        known_parser.add_argument("--shards", default="data/shards", help="the shards it was trained on")
        known_parser.add_argument("--checkpoint", default="base", help="a name under composer/checkpoints/ or a path")
        from composer.decode.checkpoint import checkpoint_dir
        from composer.decode.known import record_known_programs
        from composer.train.data.shards import training_notes_by_program

        a = known_parser.parse_args(argv[1:])
        notes = training_notes_by_program(Path(a.shards))
        print("known programs:", record_known_programs(checkpoint_dir(a.checkpoint), notes))
        return 0
    args = vars(parser().parse_args(argv))
    train_fields = {f.name for f in dataclasses.fields(TrainConfig)}
    cfg = TrainConfig(**{k: v for k, v in args.items() if k in train_fields})
    model_cfg = ModelConfig(**{k: v for k, v in args.items() if k not in train_fields})
    train(cfg, model_cfg)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
