"""Train (or fine-tune) the chest X-ray classifier on a clinic's labelled images, on CPU.

``train_cxr`` reads a label table (``path,labels`` with labels separated by ``|``, or the
NIH ``Image Index,Finding Labels`` layout), holds out a patient-grouped split, trains the
same DenseNet-121 the app runs, and writes a model pack: safetensors weights (with
per-label operating points), ``report.json`` (AUC per label on the held-out split) and an
installed ``manifest.toml``. Written into ``settings.packs_dir`` it is installed at once.
"""

from __future__ import annotations

import csv
import json
import math
import random
import re
import shutil
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch

from desktop.core.analysis.imaging.densenet import PATHOLOGIES, CxrDenseNet
from desktop.core.analysis.imaging.preprocess import to_model_input
from desktop.core.config import Settings
from desktop.core.errors import InputError
from desktop.core.inference.checksums import sha256_file
from desktop.core.inference.manifest import PackFile, PackManifest, write_manifest
from desktop.core.ingest.images import decode_image, import_image_file, to_display_uint8
from desktop.core.tasks import CancelToken, ProgressFn, no_progress

WEIGHTS_NAME = "cxr-densenet121.safetensors"
REPORT_NAME = "report.json"
NORMAL_LABELS = {"no finding", "normal", "healthy"}
_SYNONYMS = {"pleural effusion": "Effusion", "pleural thickening": "Pleural_Thickening"}
_PATH_COLUMNS = ("path", "image index", "image", "file", "filename")
_LABEL_COLUMNS = ("labels", "finding labels", "label", "findings")
MIN_IMAGES = 4
SPLIT_CANDIDATES = 64


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", " ", name.strip().lower())


_LABEL_INDEX = {_norm(p): i for i, p in enumerate(PATHOLOGIES)}
_LABEL_INDEX.update({_norm(k): PATHOLOGIES.index(v) for k, v in _SYNONYMS.items()})


@dataclass
class LabelledImage:
    path: Path
    targets: np.ndarray  # (18,) of 0/1
    group: str  # patient (or file) id: a patient's images stay on one side of the split


@dataclass
class TrainingReport:
    pack_id: str
    images_used: int
    train_images: int
    heldout_images: int
    skipped: dict[str, int]
    epochs: int
    image_size: int
    final_train_loss: float | None
    auc: dict[str, float | None]  # None: the held-out split has only one class of the label
    mean_auc: float | None
    positives_train: dict[str, int]
    operating_points: dict[str, float | None]
    created_at: str = field(
        default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds")
    )

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


def read_label_table(labels_csv: Path, images_dir: Path) -> tuple[list[LabelledImage], dict]:
    """Rows whose image exists and whose labels are all known; counts of the rest by reason."""
    try:
        with labels_csv.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"The label table {labels_csv.name} cannot be read ({exc}).") from exc
    if not rows:
        raise InputError(f"The label table {labels_csv.name} has no rows.")
    columns = {_norm(c): c for c in rows[0]}
    path_col = next((columns[c] for c in _PATH_COLUMNS if c in columns), None)
    label_col = next((columns[c] for c in _LABEL_COLUMNS if c in columns), None)
    if path_col is None or label_col is None:
        raise InputError(
            f"The label table {labels_csv.name} needs an image column (path or Image Index) "
            "and a labels column (labels or Finding Labels)."
        )
    patient_col = columns.get("patient id")
    by_name = {p.name: p for p in images_dir.rglob("*") if p.is_file()}
    skipped = {"image not found": 0, "labels outside the 18 pathologies": 0}
    items = []
    for row in rows:
        raw = (row.get(path_col) or "").strip()
        path = images_dir / raw
        if not path.is_file():  # tables often name images relative to another root
            path = by_name.get(Path(raw).name)  # type: ignore[assignment]
        if path is None:
            skipped["image not found"] += 1
            continue
        targets = _targets(row.get(label_col) or "")
        if targets is None:
            skipped["labels outside the 18 pathologies"] += 1
            continue
        group = (row.get(patient_col) if patient_col else None) or _group_from_name(path.name)
        items.append(LabelledImage(path, targets, str(group)))
    return items, skipped


def _targets(labels: str) -> np.ndarray | None:
    targets = np.zeros(len(PATHOLOGIES), dtype=np.float32)
    names = [n for n in re.split(r"[|;,]", labels) if n.strip()]
    if not names:
        return None
    for name in names:
        key = _norm(name)
        if key in NORMAL_LABELS:
            continue
        if key not in _LABEL_INDEX:
            return None  # an unknown label means we cannot say which of ours are absent
        targets[_LABEL_INDEX[key]] = 1.0
    return targets


def _group_from_name(name: str) -> str:
    match = re.match(r"^(\d{5,})_", name)  # NIH: <patient>_<follow-up>.png
    return match.group(1) if match else name


def split_groups(items: list[LabelledImage], holdout: float, seed: int) -> tuple[list, list]:
    """Hold out whole patients, about ``holdout`` of the images.

    Small clinic sets make a plain random split leave most labels with one class in the
    held-out part (AUC undefined), so among ``SPLIT_CANDIDATES`` seeded shuffles we keep
    the one with the most labels that have both classes held out, then learnable in train.
    """
    groups = sorted({i.group for i in items})
    wanted = max(1, round(len(items) * holdout))
    rng = random.Random(seed)
    best: tuple[tuple[int, int], list, list] | None = None
    for _ in range(SPLIT_CANDIDATES):
        rng.shuffle(groups)
        held: set[str] = set()
        count = 0
        for g in groups:
            if count >= wanted:
                break
            held.add(g)
            count += sum(1 for i in items if i.group == g)
        train = [i for i in items if i.group not in held]
        test = [i for i in items if i.group in held]
        if not train or not test:
            continue
        score = (_two_class_labels(test), _two_class_labels(train))
        if best is None or score > best[0]:
            best = (score, train, test)
    if best is None:
        raise InputError("Too few patients to hold some out for evaluation; add more images.")
    return best[1], best[2]


def _two_class_labels(items: list[LabelledImage]) -> int:
    y = np.stack([i.targets for i in items])
    return int(((y.sum(0) > 0) & (y.sum(0) < len(items))).sum())


def _tensors(
    items: list[LabelledImage], size: int, settings: Settings, cancel: CancelToken
) -> torch.Tensor:
    batch = []
    for item in items:
        cancel.raise_if_cancelled()
        imported = import_image_file(item.path, settings)
        decoded = decode_image(imported.data, imported.media_type, source_name=item.path.name)
        batch.append(to_model_input(to_display_uint8(decoded), size)[0])
    return torch.cat(batch)


def _youden_threshold(targets: np.ndarray, probs: np.ndarray) -> float | None:
    from sklearn.metrics import roc_curve

    if len(np.unique(targets)) < 2:
        return None
    fpr, tpr, thresholds = roc_curve(targets, probs)
    best = int(np.argmax(tpr - fpr))
    return float(min(max(thresholds[best], 1e-4), 1 - 1e-4))


def _auc(targets: np.ndarray, probs: np.ndarray) -> float | None:
    from sklearn.metrics import roc_auc_score

    if len(np.unique(targets)) < 2:
        return None
    return float(roc_auc_score(targets, probs))


def _predict(net: CxrDenseNet, x: torch.Tensor, batch_size: int) -> np.ndarray:
    net.eval()
    with torch.inference_mode():
        out = [torch.sigmoid(net(x[i : i + batch_size])) for i in range(0, len(x), batch_size)]
    return torch.cat(out).numpy()


def train_cxr(
    images_dir: Path,
    labels_csv: Path,
    settings: Settings,
    *,
    out_dir: Path | None = None,
    pack_id: str | None = None,
    epochs: int = 3,
    image_size: int = 224,
    batch_size: int = 8,
    learning_rate: float = 1e-3,
    holdout: float = 0.25,
    seed: int = 0,
    init_weights: CxrDenseNet | None = None,
    threads: int | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> tuple[Path, TrainingReport]:
    """Train and write a pack; returns its folder and the evaluation report.

    ``threads`` caps torch's CPU threads while training (1 is fastest on a busy machine).
    """
    previous_threads = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        return _train(
            images_dir, labels_csv, settings, out_dir=out_dir, pack_id=pack_id, epochs=epochs,
            image_size=image_size, batch_size=batch_size, learning_rate=learning_rate,
            holdout=holdout, seed=seed, init_weights=init_weights, progress=progress,
            cancel=cancel or CancelToken(),
        )
    finally:
        torch.set_num_threads(previous_threads)


def _train(
    images_dir: Path,
    labels_csv: Path,
    settings: Settings,
    *,
    out_dir: Path | None,
    pack_id: str | None,
    epochs: int,
    image_size: int,
    batch_size: int,
    learning_rate: float,
    holdout: float,
    seed: int,
    init_weights: CxrDenseNet | None,
    progress: ProgressFn,
    cancel: CancelToken,
) -> tuple[Path, TrainingReport]:
    if not images_dir.is_dir():
        raise InputError(f"The image folder {images_dir} does not exist.")
    if not 32 <= image_size <= 512:
        raise InputError("The image size must be between 32 and 512 pixels.")
    pack_id = pack_id or "cxr-clinic-" + datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out_dir = out_dir or settings.packs_dir / pack_id
    if out_dir.exists() and any(out_dir.iterdir()):
        raise InputError(f"{out_dir} already exists and is not empty; choose another --out.")
    items, skipped = read_label_table(labels_csv, images_dir)
    if len(items) < MIN_IMAGES:
        raise InputError(
            f"Only {len(items)} labelled images could be used (need at least {MIN_IMAGES}); "
            f"skipped: {skipped}."
        )
    torch.manual_seed(seed)
    train, test = split_groups(items, holdout, seed)
    progress(0.02, f"Reading {len(items)} images")
    x_train = _tensors(train, image_size, settings, cancel)
    x_test = _tensors(test, image_size, settings, cancel)
    y_train = torch.from_numpy(np.stack([i.targets for i in train]))
    y_test = np.stack([i.targets for i in test])
    net = init_weights if init_weights is not None else CxrDenseNet()
    optimiser = torch.optim.Adam(net.parameters(), lr=learning_rate)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    loss_value = math.nan
    steps = max(1, epochs * math.ceil(len(train) / batch_size))
    done = 0
    for _epoch in range(epochs):
        net.train()
        order = torch.randperm(len(train))
        for start in range(0, len(train), batch_size):
            cancel.raise_if_cancelled()
            idx = order[start : start + batch_size]
            if len(idx) < 2:  # BatchNorm needs two images per batch in training mode
                continue
            optimiser.zero_grad()
            loss = loss_fn(net(x_train[idx]), y_train[idx])
            loss.backward()
            optimiser.step()
            loss_value = loss.item()
            done += 1
            message = f"Training step {done}/{steps}, loss {loss_value:.3f}"
            progress(0.05 + 0.85 * done / steps, message)
    progress(0.92, "Evaluating on the held-out images")
    train_probs = _predict(net, x_train, batch_size)
    test_probs = _predict(net, x_test, batch_size)
    y = y_train_np = y_train.numpy()
    # Operating points from the training images (the held-out split is kept for the AUC).
    points = [_youden_threshold(y_train_np[:, j], train_probs[:, j]) for j in range(y.shape[1])]
    net.op_threshs.copy_(torch.tensor([math.nan if p is None else p for p in points]))
    auc = {label: _auc(y_test[:, j], test_probs[:, j]) for j, label in enumerate(PATHOLOGIES)}
    defined = [a for a in auc.values() if a is not None]
    report = TrainingReport(
        pack_id=pack_id,
        images_used=len(items),
        train_images=len(train),
        heldout_images=len(test),
        skipped=skipped,
        epochs=epochs,
        image_size=image_size,
        final_train_loss=None if math.isnan(loss_value) else loss_value,
        auc=auc,
        mean_auc=float(np.mean(defined)) if defined else None,
        positives_train={p: int(y_train_np[:, j].sum()) for j, p in enumerate(PATHOLOGIES)},
        operating_points=dict(zip(PATHOLOGIES, points, strict=True)),
    )
    _write_pack(net, report, out_dir, labels_csv.name)
    progress(1.0, f"Model pack {pack_id} written")
    return out_dir, report


def _write_pack(net: CxrDenseNet, report: TrainingReport, out_dir: Path, table: str) -> None:
    from safetensors.torch import save_file

    staging = out_dir.parent / f".staging-{out_dir.name}-{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True)
    try:
        state = {k: v.detach().contiguous() for k, v in net.state_dict().items()}
        metadata = {"labels": json.dumps(PATHOLOGIES)}
        save_file(state, str(staging / WEIGHTS_NAME), metadata=metadata)
        (staging / REPORT_NAME).write_text(report.to_json(), encoding="utf-8")
        files = tuple(
            PackFile(name, sha256_file(staging / name), (staging / name).stat().st_size)
            for name in (WEIGHTS_NAME, REPORT_NAME)
        )
        manifest = PackManifest(
            id=report.pack_id,
            task="cxr-classification",
            format="torch",
            version=report.created_at[:10],
            licence="clinic-trained; the training images' licences apply",
            files=files,
            description=(
                f"DenseNet-121 trained by desktop train-cxr on {report.train_images} images "
                f"(held-out mean AUC {_fmt(report.mean_auc)})"
            ),
            source={"trained_with": "desktop train-cxr", "labels_table": table},
            runtime={"input_size": report.image_size},
        )
        write_manifest(manifest, staging / "manifest.toml")
        if out_dir.exists():
            out_dir.rmdir()  # empty (checked above)
        staging.rename(out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def report_lines(report: TrainingReport) -> list[str]:
    """A plain-text summary for the command line."""
    lines = [
        f"pack {report.pack_id}: {report.train_images} training / {report.heldout_images} "
        f"held-out images, {report.epochs} epochs at {report.image_size} px",
        f"skipped rows: {report.skipped}",
        f"held-out AUC per label (n/a = only one class in the held-out split); "
        f"mean {_fmt(report.mean_auc)}",
    ]
    lines += [f"  {label:28s} {_fmt(value)}" for label, value in report.auc.items()]
    return lines


def report_dict(report: TrainingReport) -> dict[str, Any]:
    return asdict(report)
