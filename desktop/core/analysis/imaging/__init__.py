"""Image findings: chest X-ray pathologies with heatmaps, and honest refusals.

``run_image_findings(vault, image_id, runtime)`` reads a stored image, refuses anything that
is not a frontal chest radiograph (``ood.py``), runs the installed "cxr-classification"
pack on the inference worker, and stores an "image_findings" analysis whose items carry
the hottest Grad-CAM region as evidence and whose ``heatmaps`` extra holds PNG overlays.
Importing this package registers the pack loader with the model runtime.
"""

from __future__ import annotations

from typing import Any

from desktop.core.analysis.imaging.classifier import CxrModel, Prediction, load_cxr_pack
from desktop.core.analysis.imaging.findings import LIKELY, POSSIBLE, Finding, rank_findings
from desktop.core.analysis.imaging.heatmap import heat_on_image, hottest_box, overlay_base64
from desktop.core.analysis.imaging.ood import refusal_reason
from desktop.core.errors import NotAvailableError
from desktop.core.inference import ModelRuntime, register_loader
from desktop.core.inference.packs import InstalledPack
from desktop.core.ingest.images import DecodedImage, decode_image, to_display_uint8
from desktop.core.provenance import ImageRegion
from desktop.core.tasks import CancelToken, ProgressFn, no_progress

TASK = "cxr-classification"
KIND = "image_findings"
TITLE = "Chest X-ray findings"
NOTICE = "Suggestions only — confirm clinically. Heatmaps show where the model looked."
HEATMAP_COUNT = 3  # overlays stored for the top findings
HOW_TO_INSTALL_CXR = (
    "No chest X-ray model pack is installed, so no image findings can be produced. "
    "IT can import the TorchXRayVision densenet121-res224-all weights with "
    "`desktop models import <torchxrayvision .pt file> --task cxr-classification "
    "--id xrv-densenet121-all`, "
    "or build a clinic baseline from labelled images with "
    "`desktop train-cxr --images DIR --labels CSV`."
)

register_loader(TASK, load_cxr_pack)

__all__ = ["KIND", "TASK", "find_cxr_pack", "findings_result", "run_image_findings"]


def find_cxr_pack(runtime: ModelRuntime) -> InstalledPack:
    """The enabled chest X-ray pack (checked against its manifest), or NotAvailableError.

    With several, the most recently installed one is used (IT's latest import or training
    run wins); IT pins another by listing only it in the policy's ``enabled_packs``.
    """
    registry = runtime.registry
    candidates = [p for p in registry.list() if p.task == TASK]
    enabled = [p for p in candidates if registry.settings.pack_enabled(p.id)]
    if not enabled:
        if candidates:
            raise NotAvailableError(
                f"The chest X-ray model pack '{candidates[0].id}' is disabled by the IT policy "
                "(enabled_packs), so no image findings can be produced."
            )
        raise NotAvailableError(HOW_TO_INSTALL_CXR)
    newest = max(enabled, key=lambda p: ((p.path / "manifest.toml").stat().st_mtime_ns, p.id))
    return registry.get(newest.id)


def run_image_findings(
    vault: Any,
    image_id: int,
    runtime: ModelRuntime,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> int:
    """Analyse one stored image and store the result; returns the analysis id.

    Raises NotAvailableError (no pack), InputError (undecodable image) or Cancelled.
    A refused image still stores an analysis, with ``refusal`` set and no items.
    """
    progress = progress or no_progress
    cancel = cancel or CancelToken()
    pack = find_cxr_pack(runtime)
    progress(0.05, "Reading the image")
    record = vault.get_image(image_id)
    decoded = decode_image(record.data, record.media_type, source_name=record.source_name)
    cancel.raise_if_cancelled()
    progress(0.15, "Checking it is a frontal chest X-ray")
    refusal = refusal_reason(decoded)
    prediction: Prediction | None = None
    model: CxrModel | None = None
    if refusal is None:
        progress(0.25, "Running the chest X-ray model")
        display = to_display_uint8(decoded)

        def infer(loaded: CxrModel) -> tuple[CxrModel, Prediction]:
            return loaded, loaded.predict(display)

        model, prediction = runtime.run_with_model(
            pack, infer, cancel=cancel, name=f"image-findings:{image_id}"
        )
    cancel.raise_if_cancelled()
    progress(0.85, "Saving the findings")
    result = findings_result(decoded, image_id, model, prediction, refusal)
    parameters = {"input_size": model.input_size if model else None, "ood_check": "ood.py v1"}
    provenance = pack.provenance(parameters)
    analysis_id = vault.add_analysis(
        KIND,
        patient_id=record.patient_id,
        inputs={"image_id": image_id, "image_sha256": getattr(record, "sha256", None)},
        provenance=provenance.to_dict(),
        parameters=parameters,
        result=result,
        evidence=[e for item in result["items"] for e in item["evidence"]],
    )
    progress(1.0, "Image findings ready")
    return analysis_id


def findings_result(
    decoded: DecodedImage,
    image_id: int | None,
    model: CxrModel | None,
    prediction: Prediction | None,
    refusal: str | None,
) -> dict[str, Any]:
    """The stored result dict (shape shared by every analysis kind, see common contracts)."""
    if refusal is not None or model is None or prediction is None:
        return {"title": TITLE, "notice": None, "refusal": refusal, "items": [], "heatmaps": {}}
    shape = decoded.pixels.shape
    findings = rank_findings(
        model.labels, prediction.probabilities, prediction.scores, model.op_threshs,
        model.ppv80_threshs,
    )
    items, heatmaps = [], {}
    for rank, finding in enumerate(findings):
        evidence: list[dict[str, Any]] = []
        if finding.category in (LIKELY, POSSIBLE) or rank < HEATMAP_COUNT:
            heat = heat_on_image(prediction.cams[finding.index], prediction.crop, shape)
            if finding.category in (LIKELY, POSSIBLE):
                x, y, w, h = hottest_box(heat, shape)
                evidence.append(ImageRegion(image_id, x, y, w, h, finding.display_name).to_dict())
            if rank < HEATMAP_COUNT:
                heatmaps[finding.display_name] = overlay_base64(heat)
        items.append(_item(finding, evidence))
    return {
        "title": TITLE,
        "notice": NOTICE,
        "refusal": None,
        "items": items,
        "heatmaps": heatmaps,
        "heatmap_format": "RGBA PNG covering the whole image; scale it to the image size",
    }


def _item(finding: Finding, evidence: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "label": finding.display_name,
        "detail": finding.detail,
        "category": finding.category,
        "score": round(finding.score, 4),
        "probability": round(finding.probability, 4),
        "supported": bool(evidence) if finding.category != "unlikely" else None,
        "evidence": evidence,
    }
