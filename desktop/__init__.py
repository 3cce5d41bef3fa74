"""ClinicDesk: an offline clinical workstation.

Importing this package forces every Hugging Face library into offline mode before any of
them is imported, so no code path can reach a model hub at run time.
"""

import os

for _var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ[_var] = "1"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Inference shares the process with the GUI: idle OpenMP threads must sleep, not spin,
# or they starve the Qt thread and each other (10x slower CXR inference under load).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
