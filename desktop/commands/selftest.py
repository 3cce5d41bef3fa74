"""``desktop selftest`` / ``ClinicDesk --selftest``: is this installation able to work?

Runs every part a clinic depends on, for real, and prints one line per check: the
encrypted vault (in a throw-away folder, with no patient data), every installed model
pack's checksum and a tiny inference, DICOM decoding, note understanding rules, OCR, the
GUI libraries, and that nothing tried to use the network. Exit code 0 when every check
passed (warnings allowed), 1 when any failed.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import desktop
from desktop.core.config import Settings, load_settings
from desktop.core.errors import ClinicDeskError

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"
_LABELS = {OK: "[ OK ]", WARN: "[WARN]", FAIL: "[FAIL]", SKIP: "[SKIP]"}
# DICOM samples shipped inside pydicom: uncompressed, JPEG 2000 and JPEG, so the check
# also proves the decoder plugins made it into the installation.
DICOM_SAMPLES = ("CT_small.dcm", "MR_small_jp2klossless.dcm", "SC_rgb_jpeg.dcm")


class CheckWarning(Exception):
    """The part works in a reduced way (e.g. OCR missing); reported, not a failure."""


@dataclass
class CheckResult:
    name: str
    status: str
    detail: str
    seconds: float


class NetworkWatch:
    """Records every attempt to open an internet connection (Python audit events)."""

    def __init__(self) -> None:
        self.attempts: list[str] = []
        self.active = False
        sys.addaudithook(self._hook)  # audit hooks cannot be removed; ``active`` gates it

    def _hook(self, event: str, args: tuple) -> None:
        if not self.active:
            return
        if event == "socket.connect" and isinstance(args[1], tuple):
            self.attempts.append(f"connect to {args[1][0]}:{args[1][1]}")
        elif event == "socket.getaddrinfo" and args[0] not in (None, "localhost", "127.0.0.1"):
            self.attempts.append(f"name lookup of {args[0]}")


def _run(name: str, check: Callable[[], str]) -> CheckResult:
    started = time.perf_counter()
    try:
        status, detail = OK, check()
    except CheckWarning as exc:
        status, detail = WARN, str(exc)
    except ClinicDeskError as exc:
        status, detail = FAIL, str(exc)
    except Exception as exc:  # a self-test reports what broke instead of crashing
        status, detail = FAIL, f"{type(exc).__name__}: {exc}"
    return CheckResult(name, status, detail, round(time.perf_counter() - started, 2))


def check_vault() -> str:
    from desktop.core.vault import Vault

    passphrase = secrets.token_urlsafe(16)
    # A temp folder is fine here: the test vault holds no patient data and is deleted.
    with tempfile.TemporaryDirectory(prefix="clinicdesk-selftest-") as folder:
        path = Path(folder) / "selftest.vault"
        vault, recovery_key = Vault.create(path, "selftest", "Self-test", passphrase)
        vault.lock()
        with Vault.unlock(path, "selftest", passphrase) as reopened:
            problems = reopened.integrity_check()
        if problems:
            raise ClinicDeskError(
                "The test vault failed its integrity check: " + "; ".join(problems)
            )
        with Vault.unlock_with_recovery(path, recovery_key):
            pass
        header = path.read_bytes()[:16]
    if header.startswith(b"SQLite format 3"):
        raise ClinicDeskError("The test vault was written unencrypted; SQLCipher is not working.")
    return "created, locked and unlocked an encrypted test vault (passphrase and recovery key)"


def _tiny_inference(runtime: object, pack: object) -> str:
    task = pack.task  # type: ignore[attr-defined]
    if task == "sentence-embedding":
        vectors = runtime.embedder(pack.id).encode(["No chest pain today."])  # type: ignore[attr-defined]
        norm = float((vectors[0] ** 2).sum() ** 0.5)
        if vectors.shape[0] != 1 or abs(norm - 1.0) > 1e-3:
            raise ClinicDeskError(f"The embedding model returned bad vectors (norm {norm:.3f}).")
        return f"embedded a test sentence ({vectors.shape[1]} values)"
    if task == "text-generation":
        result = runtime.generator(pack.id).generate(  # type: ignore[attr-defined]
            [{"role": "user", "content": "Reply with the word ready."}], max_new_tokens=4
        )
        if result.provenance.checksum != pack.checksum:  # type: ignore[attr-defined]
            raise ClinicDeskError("The text model's provenance does not match its pack.")
        return f"generated {len(result.text)} characters"
    if task == "cxr-classification":
        import numpy as np

        import desktop.core.analysis.imaging  # noqa: F401  (registers the pack's loader)

        ramp = np.tile(np.linspace(0, 255, 256).astype(np.uint8), (256, 1))
        prediction = runtime.run_with_model(pack, lambda model: model.predict(ramp))  # type: ignore[attr-defined]
        if not np.isfinite(prediction.probabilities).all():
            raise ClinicDeskError("The chest X-ray model returned invalid scores.")
        return f"scored a test image ({len(prediction.probabilities)} findings)"
    runtime.load(pack.id)  # type: ignore[attr-defined]
    return "loaded"


def model_pack_checks(settings: Settings) -> list[tuple[str, Callable[[], str]]]:
    """One check per installed pack (checksum of every file, then a tiny inference)."""
    from desktop.core.inference import ModelRuntime, PackRegistry
    from desktop.core.inference.manifest import bundled_manifests

    registry = PackRegistry(settings)
    packs = registry.list()
    checks: list[tuple[str, Callable[[], str]]] = []
    installed = {p.id for p in packs}
    missing = [
        pack_id
        for pack_id in bundled_manifests()
        if pack_id not in installed and settings.pack_enabled(pack_id)
    ]
    if missing:

        def report_missing() -> str:
            raise ClinicDeskError(
                f"Default model pack(s) not installed: {', '.join(missing)}. Run "
                "'ClinicDesk models install --defaults' (with the same data folder)."
            )

        checks.append(("Default model packs", report_missing))
    runtime: list[object] = []

    def shared_runtime() -> object:
        if not runtime:
            runtime.append(ModelRuntime(settings, registry))
        return runtime[0]

    for pack in packs:

        def check(pack_id: str = pack.id) -> str:
            if not settings.pack_enabled(pack_id):
                raise CheckWarning("disabled by the IT policy (enabled_packs); not checked")
            verified = registry.verify(pack_id)  # re-hashes every file
            done = _tiny_inference(shared_runtime(), verified)
            return f"{verified.task} v{verified.version}: checksum OK, {done}"

        checks.append((f"Model pack {pack.id}", check))

    def close_runtime() -> str:
        if runtime:
            runtime[0].close()  # type: ignore[attr-defined]
        return "models unloaded"

    checks.append(("Model runtime shutdown", close_runtime))
    return checks


def check_dicom() -> str:
    from pydicom.data import get_testdata_file

    from desktop.core.ingest.images import DICOM, decode_image, to_display_uint8

    shapes = []
    for name in DICOM_SAMPLES:
        found = get_testdata_file(name, download=False)
        if not found:
            raise ClinicDeskError(f"The DICOM sample {name} is missing from this installation.")
        decoded = decode_image(Path(str(found)).read_bytes(), DICOM)
        shown = to_display_uint8(decoded)
        if decoded.pixels.ndim != 2 or shown.max() == shown.min():
            raise ClinicDeskError(f"{name} decoded to an empty image.")
        shapes.append(f"{name} {shown.shape[1]}x{shown.shape[0]}")
    return "decoded " + ", ".join(shapes)


def check_note_rules() -> str:
    import simple_icd_10_cm as icd

    from desktop.core.analysis.notes import analyse_note
    from desktop.core.analysis.notes.rule_files import rules_checksum

    rules_checksum()  # names a rule file the installation lacks
    analysis = analyse_note("Patient denies chest pain. History of hypertension.")
    negated = [c for c in analysis.concepts if c.assertion == "negated"]
    if not negated:
        raise ClinicDeskError("The note rules did not find the negated symptom in a test note.")
    if not icd.is_valid_item("I10"):
        raise ClinicDeskError("The ICD-10-CM table is missing or damaged.")
    return f"found {len(analysis.concepts)} concepts in a test note; ICD-10-CM table loaded"


def check_note_import() -> str:
    import docx

    from desktop.core.ingest.notes import import_note_file

    settings = load_settings()
    # Synthetic, non-patient files in a throw-away folder: the same path a clinician's file takes.
    with tempfile.TemporaryDirectory(prefix="clinicdesk-selftest-") as folder:
        word = Path(folder) / "selftest.docx"
        document = docx.Document()
        document.add_paragraph("Self-test note.")
        document.add_table(rows=1, cols=2).rows[0].cells[0].text = "Blood pressure"
        document.save(str(word))
        text_file = Path(folder) / "selftest.txt"
        text_file.write_text("Self-test café note.", encoding="utf-16")
        read = [import_note_file(p, settings) for p in (word, text_file)]
    if "Blood pressure" not in read[0].text or "café" not in read[1].text:
        raise ClinicDeskError("Word or text notes were not read correctly.")
    return "read a Word document (with a table) and a UTF-16 text file"


def check_ocr() -> str:
    from PIL import Image, ImageDraw, ImageFont

    from desktop.core.ingest.notes import import_note_file
    from desktop.core.ingest.ocr import INSTALL_HINT, ocr_available

    if not ocr_available():
        raise CheckWarning(
            "Tesseract is not installed: typed notes, PDFs and Word files import, but scans "
            f"and photos of paper notes cannot be read. {INSTALL_HINT}"
        )
    image = Image.new("L", (900, 160), 255)
    try:
        font: ImageFont.ImageFont | ImageFont.FreeTypeFont = ImageFont.truetype(
            "DejaVuSans.ttf", 64
        )
    except OSError:
        font = ImageFont.load_default(size=64)
    ImageDraw.Draw(image).text((30, 40), "Clinic desk", font=font, fill=0)
    with tempfile.TemporaryDirectory(prefix="clinicdesk-selftest-") as folder:
        photo, scan = Path(folder) / "photo.png", Path(folder) / "scan.pdf"
        image.save(photo)
        image.save(scan)  # a PDF page that is only an image, as scanners make
        texts = [import_note_file(p, load_settings()).text for p in (photo, scan)]
    if not all("clinic" in text.lower() for text in texts):
        raise ClinicDeskError(f"Tesseract ran but misread a test image ({texts!r}).")
    return "Tesseract read a test photo and a scanned PDF page"


def check_app_modules() -> str:
    """Every part of the app loads: in an installed bundle this finds a library the
    build left out before a clinician reaches the screen that needs it."""
    import importlib
    import pkgutil

    failed: list[str] = []
    count = 0
    for info in pkgutil.walk_packages(desktop.__path__, "desktop.", onerror=failed.append):
        try:
            importlib.import_module(info.name)
            count += 1
        except Exception as exc:  # report every broken module, not just the first
            failed.append(f"{info.name} ({type(exc).__name__}: {exc})")
    if failed:
        raise ClinicDeskError("Parts of ClinicDesk cannot load: " + "; ".join(failed[:5]))
    return f"all {count} modules load"


def check_gui_libraries() -> str:
    from PySide6 import QtCore, QtGui, QtWidgets  # noqa: F401  (the libraries must load)

    plugins = Path(QtCore.QLibraryInfo.path(QtCore.QLibraryInfo.LibraryPath.PluginsPath))
    platforms = sorted(p.name for p in (plugins / "platforms").glob("*")) if plugins else []
    if not platforms:
        raise ClinicDeskError(f"Qt's platform plugins are missing (looked in {plugins}).")
    return f"Qt {QtCore.qVersion()} with {len(platforms)} platform plugins"


def run_checks(settings: Settings, *, on_result: Callable[[CheckResult], None] | None = None):
    """Run every check in order; ``on_result`` sees each result as soon as it is known."""
    watch = NetworkWatch()
    watch.active = True
    checks: list[tuple[str, Callable[[], str]]] = [
        ("Encrypted vault", check_vault),
        ("DICOM decoding", check_dicom),
        ("Note understanding rules", check_note_rules),
        ("Note import (Word, text)", check_note_import),
        ("OCR for scanned notes", check_ocr),
        ("GUI libraries", check_gui_libraries),
        ("Application modules", check_app_modules),
    ]
    results: list[CheckResult] = []
    try:
        pack_checks = model_pack_checks(settings)
    except Exception as exc:
        pack_checks = [("Model packs", lambda exc=exc: _raise(exc))]
    for name, check in [*checks[:1], *pack_checks, *checks[1:]]:
        result = _run(name, check)
        results.append(result)
        if on_result:
            on_result(result)
    watch.active = False

    def offline() -> str:
        if watch.attempts:
            raise ClinicDeskError(
                "Something tried to use the network: " + "; ".join(watch.attempts)
            )
        return "no network connection was attempted"

    results.append(_run("Offline operation", offline))
    if on_result:
        on_result(results[-1])
    return results


def _raise(exc: BaseException) -> str:
    raise exc


def _print_result(result: CheckResult) -> None:
    print(f"{_LABELS[result.status]} {result.name}: {result.detail} ({result.seconds:.1f} s)")
    sys.stdout.flush()


def cmd_selftest(args: argparse.Namespace) -> int:
    settings = load_settings()
    if not args.json:
        print(f"ClinicDesk {desktop.__version__} self-test")
        print(f"  data folder: {settings.data_dir}")
        print(f"  policy file: {settings.policy_file or 'none (defaults)'}")
    results = run_checks(settings, on_result=None if args.json else _print_result)
    failed = [r for r in results if r.status == FAIL]
    warned = [r for r in results if r.status == WARN]
    if args.json:
        print(
            json.dumps(
                {
                    "version": desktop.__version__,
                    "checks": [asdict(r) for r in results],
                    "passed": not failed,
                },
                indent=2,
            )
        )
    else:
        verdict = "FAILED" if failed else "PASSED"
        print(
            f"Self-test {verdict}: {len(results) - len(failed) - len(warned)} ok, "
            f"{len(warned)} warning(s), {len(failed)} failed."
        )
    return 1 if failed else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "selftest",
        help="check this installation (vault, model packs, DICOM, OCR) and print a report",
        description="Check that this installation works; exit code 1 if any check fails.",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(func=cmd_selftest)
