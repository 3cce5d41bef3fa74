"""``desktop train-cxr`` (build a chest X-ray model pack) and ``desktop findings IMAGE``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_REFUSED = 3  # `desktop findings`: the image is not a frontal chest X-ray


def register(subparsers: argparse._SubParsersAction) -> None:
    train = subparsers.add_parser(
        "train-cxr",
        help="train a chest X-ray model pack on labelled images (CPU)",
        description=(
            "Train the DenseNet-121 chest X-ray classifier on a folder of labelled images and "
            "write a model pack with an evaluation report (AUC per label on held-out "
            "patients). Labels: a CSV with path,labels (labels separated by |) or the NIH "
            "'Image Index,Finding Labels' layout. Without --out the pack is installed."
        ),
    )
    train.add_argument("--images", type=Path, required=True, help="folder of images")
    train.add_argument("--labels", type=Path, required=True, help="CSV label table")
    train.add_argument("--out", type=Path, help="pack folder (default: installed packs)")
    train.add_argument("--id", dest="pack_id", help="pack id (default: cxr-clinic-<time>)")
    train.add_argument("--epochs", type=int, default=3)
    train.add_argument("--image-size", type=int, default=224, help="pixels (default 224)")
    train.add_argument("--batch-size", type=int, default=8)
    train.add_argument("--holdout", type=float, default=0.25, help="held-out fraction")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--init", dest="init_pack", help="fine-tune from this installed pack")
    train.add_argument("--threads", type=int, help="CPU threads for training (default: all)")
    train.set_defaults(func=_train)

    findings = subparsers.add_parser(
        "findings",
        help="chest X-ray findings for an image file (headless, nothing stored)",
        description=(
            "Run the installed chest X-ray model on one PNG/JPEG/TIFF/DICOM file and print "
            f"the findings. Exit code {EXIT_REFUSED} when the image is refused as not a "
            "frontal chest X-ray."
        ),
    )
    findings.add_argument("image", type=Path)
    findings.add_argument("--pack", help="pack id (default: the installed chest X-ray pack)")
    findings.add_argument("--json", action="store_true", help="print the result as JSON")
    findings.set_defaults(func=_findings)


def _progress(fraction: float, message: str) -> None:
    print(f"[{fraction:4.0%}] {message}", file=sys.stderr)


def _train(args: argparse.Namespace) -> int:
    from desktop.core.analysis.imaging.train import report_lines, train_cxr
    from desktop.core.config import load_settings

    settings = load_settings()
    init = None
    if args.init_pack:
        from desktop.core.analysis.imaging.checkpoint import load_cxr_densenet
        from desktop.core.analysis.imaging.classifier import checkpoint_file
        from desktop.core.inference import PackRegistry

        init = load_cxr_densenet(checkpoint_file(PackRegistry(settings).get(args.init_pack)))
    out, report = train_cxr(
        args.images, args.labels, settings, out_dir=args.out, pack_id=args.pack_id,
        epochs=args.epochs, image_size=args.image_size, batch_size=args.batch_size,
        holdout=args.holdout, seed=args.seed, init_weights=init, threads=args.threads,
        progress=_progress,
    )
    print("\n".join(report_lines(report)))
    print(f"model pack written to {out}")
    return 0


def _findings(args: argparse.Namespace) -> int:
    from desktop.core.analysis.imaging import find_cxr_pack, findings_result
    from desktop.core.analysis.imaging.ood import refusal_reason
    from desktop.core.config import load_settings
    from desktop.core.inference import ModelRuntime
    from desktop.core.ingest.images import decode_image, import_image_file, to_display_uint8

    settings = load_settings()
    imported = import_image_file(args.image, settings)
    decoded = decode_image(imported.data, imported.media_type, source_name=imported.source_name)
    runtime = ModelRuntime(settings)
    try:
        pack = runtime.pack(args.pack) if args.pack else find_cxr_pack(runtime)
        refusal = refusal_reason(decoded)
        model = prediction = None
        if refusal is None:
            display = to_display_uint8(decoded)
            model, prediction = runtime.run_with_model(pack, lambda m: (m, m.predict(display)))
        result = findings_result(decoded, None, model, prediction, refusal)
    finally:
        runtime.close()
    if args.json:
        result["provenance"] = pack.provenance({}).to_dict()
        result.pop("heatmaps", None)  # base64 images are not useful on a terminal
        print(json.dumps(result, indent=2))
    else:
        print(f"{result['title']} — model pack {pack.id} (version {pack.version})")
        if result["refusal"]:
            print(result["refusal"])
        for item in result["items"]:
            where = ""
            if item["evidence"]:
                box = item["evidence"][0]
                where = f"  region x={box['x']} y={box['y']} {box['width']}x{box['height']}"
            print(f"  {item['category']:9s} {item['score']:.2f}  {item['label']}{where}")
        if result["notice"]:
            print(result["notice"])
    return EXIT_REFUSED if result["refusal"] else 0
