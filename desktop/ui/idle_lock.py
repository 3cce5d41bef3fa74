"""Idle auto-lock: any keyboard or mouse input restarts the countdown set by IT."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

_ACTIVITY = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}


class IdleWatcher(QObject):
    """Emits ``idle`` after ``interval_ms`` without user input while armed."""

    idle = Signal()

    def __init__(self, interval_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(max(interval_ms, 1))
        self._timer.timeout.connect(self.idle.emit)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    @property
    def interval_ms(self) -> int:
        return self._timer.interval()

    def arm(self) -> None:
        self._timer.start()

    def disarm(self) -> None:
        self._timer.stop()

    @property
    def armed(self) -> bool:
        return self._timer.isActive()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() in _ACTIVITY and self._timer.isActive():
            self._timer.start()
        return False
