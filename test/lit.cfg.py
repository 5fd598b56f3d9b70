# -*- Python -*-
# lit configuration for the Kestrel regression tests.

import os
import sys

import lit.formats
from lit.llvm import llvm_config

config.name = "Kestrel"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir"]
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "unit",
                   "Inputs", "fixtures", "generated"]

config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.kestrel_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
# The project venv (scripts/setup-venv.sh) has onnx, numpy and onnxruntime;
# tests that build ONNX models need it.
venv_python = os.path.join(config.kestrel_src_root, ".venv", "bin", "python")
python = venv_python if os.path.exists(venv_python) else sys.executable
config.substitutions.append(("%python", python))
config.substitutions.append(
    ("%onnx_model",
     python + " " + os.path.join(config.kestrel_src_root, "test", "frontends",
                                 "onnx", "Inputs", "models.py")))
if os.path.exists(venv_python):
    config.available_features.add("onnx")
config.environment["FILECHECK_OPTS"] = "--enable-var-scope"

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

# `lit --param kestrel_tools_dir=DIR` runs the tests against other builds of
# the tools (the sanitizer build in build-asan).
tool_dirs = [lit_config.params.get("kestrel_tools_dir", config.kestrel_tools_dir),
             config.llvm_tools_dir]
llvm_config.add_tool_substitutions(
    ["kestrel-opt", "kestrelc", "kestrel-pack", "kestrel-run",
     "kestrel-device-profile", "kestrel-calibrate"], tool_dirs)

if config.kestrel_cuda_backend:
    config.available_features.add("cuda")

if os.path.exists(os.path.join(config.kestrel_src_root, "test", "models",
                               "generated", "all-MiniLM-L6-v2", "model.onnx")):
    config.available_features.add("minilm")
