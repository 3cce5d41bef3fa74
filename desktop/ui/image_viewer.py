"""Image viewer: zoom, pan, window/level, metadata, evidence regions and heatmap overlay.

Pixels come decoded from core (``decode_image``); every window/level change renders
through ``to_display_uint8`` in a job, latest request wins, so dragging stays smooth.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QImage,
    QMouseEvent,
    QPainter,
    QPen,
    QPixmap,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.jobs import JobRunner
from desktop.ui.session import core_feature


def gray_to_qimage(pixels: np.ndarray) -> QImage:
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    h, w = pixels.shape
    return QImage(pixels.data, w, h, w, QImage.Format.Format_Grayscale8).copy()


class ImageCanvas(QGraphicsView):
    """Wheel zooms, left-drag pans, right-drag changes window (x) and level (y)."""

    window_dragged = Signal(float, float)  # d_width, d_center in screen pixels

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("imageCanvas")
        self.setScene(QGraphicsScene(self))
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setBackgroundBrush(QBrush(QColor("#111418")))
        self.pixmap_item = QGraphicsPixmapItem()
        self.heatmap_item = QGraphicsPixmapItem()
        self.heatmap_item.setOpacity(0.8)  # the PNG carries its own alpha
        self.heatmap_item.setZValue(1)
        self.scene().addItem(self.pixmap_item)
        self.scene().addItem(self.heatmap_item)
        self.region_items: list[QGraphicsRectItem] = []
        self._drag_from: QPointF | None = None

    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        if 0.02 < self.zoom * factor < 40:
            self.scale(factor, factor)

    def fit(self) -> None:
        if not self.pixmap_item.pixmap().isNull():
            self.fitInView(self.pixmap_item, Qt.AspectRatioMode.KeepAspectRatio)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt API)
        self.zoom_by(1.15 if event.angleDelta().y() > 0 else 1 / 1.15)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.RightButton:
            self._drag_from = event.position()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drag_from is not None:
            delta = event.position() - self._drag_from
            self._drag_from = event.position()
            self.window_dragged.emit(delta.x(), delta.y())
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.RightButton:
            self._drag_from = None
            return
        super().mouseReleaseEvent(event)


class ImageViewer(QWidget):
    def __init__(self, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self.decoded: Any = None
        self.image_id: int | None = None
        self._rendering = False
        self._pending: tuple[float, float] | None = None
        self.rendered_window: tuple[float, float] | None = None

        self.header = QLabel()
        self.header.setObjectName("docHeader")
        self.canvas = ImageCanvas()
        self.canvas.window_dragged.connect(self._drag_window)
        self.center = QDoubleSpinBox()
        self.center.setObjectName("windowCenter")
        self.width_box = QDoubleSpinBox()
        self.width_box.setObjectName("windowWidth")
        for box in (self.center, self.width_box):
            box.setRange(-1e6, 1e6)
            box.setDecimals(0)
            box.setKeyboardTracking(False)
            box.valueChanged.connect(lambda _v: self.request_render())
        self.width_box.setMinimum(1)
        self.heatmap_toggle = QCheckBox("Heatmap")
        self.heatmap_toggle.setObjectName("heatmapToggle")
        self.heatmap_toggle.setEnabled(False)
        # Not connected to the item's method directly: PySide mis-counts references when a
        # signal calls a bound method of a non-QObject (crashes the interpreter later).
        self.heatmap_toggle.toggled.connect(self._heatmap_toggled)
        buttons = QHBoxLayout()
        for text, slot, tip in (
            ("Fit", self.canvas.fit, "Fit the image to the window"),
            ("+", lambda: self.canvas.zoom_by(1.25), "Zoom in"),
            ("−", lambda: self.canvas.zoom_by(0.8), "Zoom out"),
            ("Reset W/L", self.reset_window, "Back to the image's own window/level"),
        ):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        window_form = QFormLayout()
        window_form.addRow("Level", self.center)
        window_form.addRow("Window", self.width_box)
        self.metadata = QTableWidget(0, 2)
        self.metadata.setObjectName("imageMetadata")
        self.metadata.setHorizontalHeaderLabels(["Tag", "Value"])
        self.metadata.verticalHeader().hide()
        self.metadata.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.metadata.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        hint = QLabel("Wheel: zoom · drag: pan · right-drag: window/level")
        hint.setObjectName("muted")
        hint.setWordWrap(True)
        side = QVBoxLayout()
        side.addLayout(window_form)
        side.addWidget(self.heatmap_toggle)
        side.addWidget(hint)
        side.addWidget(self.metadata, 1)
        side_widget = QWidget()
        side_widget.setLayout(side)
        side_widget.setMaximumWidth(210)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.canvas, 1)
        body.addWidget(side_widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header)
        layout.addLayout(buttons)
        layout.addLayout(body, 1)

    # --- content -------------------------------------------------------------------
    def show_image(self, record: Any, decoded: Any) -> None:
        self.image_id = record.id
        self.decoded = decoded
        self.header.setText(f"{record.source_name or 'Image'} · {record.media_type}")
        self.set_regions([])
        self.set_heatmap(None)
        self._fill_metadata(dict(record.metadata or {}) | dict(decoded.metadata or {}))
        self._set_window_boxes(decoded.window_center, decoded.window_width)
        self.rendered_window = None
        self.request_render(default=True)

    def clear(self) -> None:
        self.image_id = None
        self.decoded = None
        self._pending = None
        self.header.clear()
        self.canvas.pixmap_item.setPixmap(QPixmap())
        self.set_heatmap(None)
        self.set_regions([])
        self.metadata.setRowCount(0)

    def _fill_metadata(self, metadata: dict[str, Any]) -> None:
        self.metadata.setRowCount(0)
        for key in sorted(metadata):
            row = self.metadata.rowCount()
            self.metadata.insertRow(row)
            self.metadata.setItem(row, 0, QTableWidgetItem(str(key)))
            self.metadata.setItem(row, 1, QTableWidgetItem(str(metadata[key])))

    def set_regions(self, regions: list[dict[str, Any]]) -> None:
        for item in self.canvas.region_items:
            self.canvas.scene().removeItem(item)
        self.canvas.region_items = []
        pen = QPen(QColor("#ffb000"), 3)
        pen.setCosmetic(True)
        for region in regions:
            rect = QGraphicsRectItem(
                QRectF(region["x"], region["y"], region["width"], region["height"])
            )
            rect.setPen(pen)
            rect.setZValue(2)
            if region.get("label"):
                rect.setToolTip(str(region["label"]))
            self.canvas.scene().addItem(rect)
            self.canvas.region_items.append(rect)
        if self.canvas.region_items:
            self.canvas.ensureVisible(self.canvas.region_items[0])

    def _heatmap_toggled(self, on: bool) -> None:
        self.canvas.heatmap_item.setVisible(bool(on))

    def set_heatmap(self, png_base64: str | None) -> None:
        """Overlay a heatmap (base64 PNG from the result), stretched over the image."""
        pixmap = QPixmap()
        if png_base64:
            pixmap.loadFromData(base64.b64decode(png_base64))
        self.canvas.heatmap_item.setPixmap(pixmap)
        if not pixmap.isNull() and self.decoded is not None:
            # Scale to the image's pixel size (the display pixmap may still be rendering).
            rows, columns = self.decoded.pixels.shape[:2]
            self.canvas.heatmap_item.setTransform(
                QTransform.fromScale(columns / pixmap.width(), rows / pixmap.height())
            )
        self.heatmap_toggle.setEnabled(not pixmap.isNull())
        self.heatmap_toggle.setChecked(not pixmap.isNull())
        self.canvas.heatmap_item.setVisible(not pixmap.isNull())

    # --- window / level ----------------------------------------------------------------
    def _set_window_boxes(self, center: float, width: float) -> None:
        for box, value in ((self.center, center), (self.width_box, width)):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)

    def reset_window(self) -> None:
        if self.decoded is not None:
            self._set_window_boxes(self.decoded.window_center, self.decoded.window_width)
            self.request_render(default=True)

    def set_window(self, center: float, width: float) -> None:
        self._set_window_boxes(center, max(width, 1.0))
        self.request_render()

    def _drag_window(self, dx: float, dy: float) -> None:
        if self.decoded is None:
            return
        step = max(self.decoded.window_width, 2.0) / 256.0
        self.set_window(self.center.value() + dy * step, self.width_box.value() + dx * step)

    def request_render(self, *, default: bool = False) -> None:
        if self.decoded is None:
            return
        window = (float("nan"), float("nan")) if default else (
            self.center.value(), self.width_box.value())
        if self._rendering:
            self._pending = window
            return
        self._render(window)

    def _render(self, window: tuple[float, float]) -> None:
        decoded = self.decoded
        center, width = window
        use_default = center != center  # NaN: the image's own VOI LUT / window
        to_display = core_feature("desktop.core.ingest.images", "to_display_uint8", "Image display")

        def work(ctx: Any) -> np.ndarray:
            if use_default:
                return to_display(decoded)
            return to_display(decoded, center, width)

        self._rendering = True
        first = self.canvas.pixmap_item.pixmap().isNull()
        self._jobs.run(
            work,
            label="Rendering image",
            on_success=lambda pixels: self._rendered(pixels, window, first),
            on_finished=self._render_done,
            owner=self,
        )

    def _rendered(self, pixels: np.ndarray, window: tuple[float, float], first: bool) -> None:
        if self.decoded is None:
            return
        self.canvas.pixmap_item.setPixmap(QPixmap.fromImage(gray_to_qimage(pixels)))
        self.canvas.setSceneRect(self.canvas.pixmap_item.boundingRect())
        self.rendered_window = window
        if first:
            self.canvas.fit()

    def _render_done(self) -> None:
        self._rendering = False
        if self._pending is not None:
            window, self._pending = self._pending, None
            self._render(window)
